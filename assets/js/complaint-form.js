// The public complaint form (loaded by that page only): the description's character counter,
// the relation field shown for family members, and the category cascade (domain → category →
// subcategory → classification) loaded from /complaints/public/api/load-categories/.
// Without this script the form still works: a single category select is rendered by the server.
(function () {
  'use strict';

  var form = document.getElementById('complaint-form');
  if (!form) {
    return;
  }

  // -- Character counter ---------------------------------------------------------------------
  var description = document.getElementById('description');
  var counter = document.getElementById('description-count');
  if (description && counter) {
    var min = parseInt(counter.getAttribute('data-min'), 10) || 0;
    var max = parseInt(counter.getAttribute('data-max'), 10) || 5000;
    var updateCount = function () {
      // Characters as the server counts them (code points of the trimmed text).
      var n = Array.from(description.value.trim()).length;
      counter.textContent = n + ' / ' + max;
      var bad = (n > 0 && n < min) || n > max;
      counter.classList.toggle('text-danger', bad);
      counter.classList.toggle('text-success', n >= min && n <= max);
    };
    description.addEventListener('input', updateCount);
    updateCount();
  }

  // -- Relation, for family members only -----------------------------------------------------
  var relationGroup = document.getElementById('relation-group');
  var syncRelation = function () {
    if (!relationGroup) {
      return;
    }
    var chosen = form.querySelector('input[name="source"]:checked');
    relationGroup.classList.toggle('d-none', !(chosen && chosen.value === 'family'));
  };
  Array.prototype.forEach.call(form.querySelectorAll('input[name="source"]'), function (input) {
    input.addEventListener('change', syncRelation);
  });
  syncRelation();

  // -- Category cascade ----------------------------------------------------------------------
  var cascade = document.getElementById('category-cascade');
  var fallback = document.getElementById('category-fallback');
  var fallbackSelect = document.getElementById('category');
  var hospital = document.getElementById('hospital');
  var hidden = document.getElementById('category-value');
  var status = document.getElementById('category-status');
  if (!cascade || !fallback || !fallbackSelect || !hospital || !hidden || !window.fetch) {
    return;
  }
  var selects = [1, 2, 3, 4].map(function (level) {
    return document.getElementById('category-level-' + level);
  });
  if (selects.some(function (s) { return !s; })) {
    return;
  }
  var groups = selects.map(function (s) { return s.closest('.cascade-level'); });
  var lang = cascade.getAttribute('data-lang');
  var placeholder = cascade.getAttribute('data-placeholder') || '';
  var url = cascade.getAttribute('data-url');
  var wanted = cascade.getAttribute('data-selected') || '';
  var nodes = [];
  var byId = {};
  var request = 0;

  var nameOf = function (node) {
    return lang === 'ar' ? (node.name_ar || node.name_en) : (node.name_en || node.name_ar);
  };

  var clearFrom = function (level) {
    for (var i = level; i <= 4; i += 1) {
      var s = selects[i - 1];
      while (s.firstChild) {
        s.removeChild(s.firstChild);
      }
      s.disabled = true;
      groups[i - 1].classList.add('d-none');
    }
  };

  var fill = function (level, parentId) {
    clearFrom(level);
    var children = nodes.filter(function (n) {
      return n.level === level && (level === 1 ? !n.parent_id : n.parent_id === parentId);
    });
    if (children.length === 0) {
      return;
    }
    var s = selects[level - 1];
    var first = document.createElement('option');
    first.value = '';
    first.textContent = placeholder;
    s.appendChild(first);
    children.forEach(function (n) {
      var option = document.createElement('option');
      option.value = n.id;
      option.textContent = nameOf(n);
      s.appendChild(option);
    });
    s.disabled = false;
    groups[level - 1].classList.remove('d-none');
  };

  var syncValue = function () {
    var value = '';
    selects.forEach(function (s) {
      if (!s.disabled && s.value) {
        value = s.value;
      }
    });
    hidden.value = value;
  };

  selects.forEach(function (s, index) {
    s.addEventListener('change', function () {
      var level = index + 1;
      if (level < 4) {
        if (s.value) {
          fill(level + 1, s.value);
        } else {
          clearFrom(level + 1);
        }
      }
      syncValue();
    });
  });

  var preselect = function (id) {
    var chain = [];
    var node = byId[id];
    while (node) {
      chain.unshift(node);
      node = node.parent_id ? byId[node.parent_id] : null;
    }
    chain.forEach(function (n) {
      selects[n.level - 1].value = n.id;
      if (n.level < 4) {
        fill(n.level + 1, n.id);
      }
    });
    syncValue();
  };

  var useFallback = function () {
    cascade.classList.add('d-none');
    hidden.disabled = true;
    fallback.classList.remove('d-none');
    fallbackSelect.disabled = false;
  };

  var load = function () {
    request += 1;
    var mine = request;
    nodes = [];
    byId = {};
    clearFrom(1);
    hidden.value = '';
    var h = hospital.value;
    if (!h) {
      status.textContent = cascade.getAttribute('data-need-hospital') || '';
      return;
    }
    status.textContent = '';
    fetch(url + '?hospital_id=' + encodeURIComponent(h), { headers: { Accept: 'application/json' } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error('HTTP ' + response.status);
        }
        return response.json();
      })
      .then(function (data) {
        if (mine !== request) {
          return;
        }
        nodes = (data && data.categories) || [];
        nodes.forEach(function (n) { byId[n.id] = n; });
        fill(1, null);
        if (wanted && byId[wanted]) {
          preselect(wanted);
        }
        wanted = '';
      })
      .catch(function () {
        if (mine === request) {
          useFallback();
        }
      });
  };

  // The script runs: the cascade replaces the single select.
  fallback.classList.add('d-none');
  fallbackSelect.disabled = true;
  cascade.classList.remove('d-none');
  hidden.disabled = false;
  hospital.addEventListener('change', function () {
    wanted = '';
    load();
  });
  load();
})();
