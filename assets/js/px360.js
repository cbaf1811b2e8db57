// PX360 front-end behaviour. Loaded as an external file because the CSP
// forbids inline scripts; load it after htmx and Chart.js.
(function () {
  'use strict';

  // Elements already wired up, so content that is initialised twice (page
  // load, then htmx:load for the same nodes) is not bound twice.
  var seen = new WeakSet();
  function each(root, selector, fn) {
    var nodes = root.querySelectorAll ? root.querySelectorAll(selector) : [];
    if (root.matches && root.matches(selector)) nodes = [root].concat(Array.from(nodes));
    Array.prototype.forEach.call(nodes, function (el) {
      if (!seen.has(el)) { seen.add(el); fn(el); }
    });
  }

  function init(root) {
    // <form data-confirm="Really delete?">: ask before submitting.
    // (For hx-post forms prefer htmx's own hx-confirm attribute.)
    each(root, 'form[data-confirm]', function (form) {
      form.addEventListener('submit', function (e) {
        if (!window.confirm(form.dataset.confirm)) { e.preventDefault(); e.stopImmediatePropagation(); }
      });
    });

    // <button data-confirm="Close 3 complaints?">: ask before this button submits its form.
    each(root, 'button[data-confirm]', function (button) {
      button.addEventListener('click', function (e) {
        if (!window.confirm(button.dataset.confirm)) { e.preventDefault(); }
      });
    });

    // <canvas data-chart='{"type":"bar",...}'>: a Chart.js config as JSON. With
    // data-chart-links='["/complaints/?…", …]' a click on a bar or slice opens the list behind it.
    each(root, 'canvas[data-chart]', function (canvas) {
      if (!window.Chart) return;
      try {
        var config = JSON.parse(canvas.dataset.chart);
        if (canvas.dataset.chartLinks) {
          var links = JSON.parse(canvas.dataset.chartLinks);
          config.options = config.options || {};
          config.options.onClick = function (event, elements) {
            var href = elements.length ? links[elements[0].index] : '';
            if (href) window.location.href = href;
          };
        }
        new window.Chart(canvas, config);
      }
      catch (err) { console.error('px360: bad data-chart', err); }
    });

    // <select data-autosubmit>: submit the enclosing form on change.
    each(root, 'select[data-autosubmit]', function (select) {
      select.addEventListener('change', function () {
        var form = select.form;
        if (!form) return;
        // requestSubmit fires the submit event (confirm, htmx); submit() doesn't.
        if (form.requestSubmit) form.requestSubmit(); else form.submit();
      });
    });
  }

  // Send the CSRF token from <meta name="csrf-token"> with every htmx request.
  document.addEventListener('htmx:configRequest', function (e) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta && meta.content) e.detail.headers['X-CSRF-Token'] = meta.content;
  });

  // Initialise the page, and any content htmx swaps in later.
  document.addEventListener('htmx:load', function (e) { init(e.target); });
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', function () { init(document); });
  } else {
    init(document);
  }
})();

// <input type="checkbox" data-select-all="ids">: checks or clears every
// checkbox named "ids" (the bulk selection of a work list), the row
// checkboxes may sit outside the form (form="…" attribute).
(function () {
  'use strict';
  function wire() {
    Array.prototype.forEach.call(document.querySelectorAll('input[data-select-all]'), function (box) {
      box.addEventListener('change', function () {
        var name = box.dataset.selectAll;
        Array.prototype.forEach.call(document.querySelectorAll('input[type="checkbox"][name="' + name + '"]'), function (row) {
          row.checked = box.checked;
        });
      });
    });
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', wire); else wire();
})();
