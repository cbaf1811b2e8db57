// Survey results charts: each <canvas data-survey-chart='{"kind","labels","values","series"}'>
// becomes a Chart.js chart (bar or doughnut); its table stays for screen readers (visually
// hidden once the chart is drawn) and is what shows without JavaScript. Right-to-left pages get
// right-to-left legends, tooltips and a mirrored category axis.
(function () {
  'use strict';
  var COLORS = ['#198754', '#ffc107', '#dc3545', '#0d6efd', '#6f42c1', '#20c997', '#fd7e14', '#6c757d', '#0dcaf0', '#d63384', '#adb5bd'];

  function draw(canvas) {
    if (!window.Chart || canvas.dataset.drawn) return;
    var data;
    try { data = JSON.parse(canvas.dataset.surveyChart); } catch (err) { return; }
    var rtl = canvas.dataset.rtl === 'true';
    var doughnut = data.kind === 'doughnut';
    var config = {
      type: doughnut ? 'doughnut' : 'bar',
      data: {
        labels: data.labels,
        datasets: [{
          label: data.series,
          data: data.values,
          backgroundColor: doughnut ? COLORS.slice(0, data.values.length) : '#0d6efd'
        }]
      },
      options: {
        responsive: true,
        aspectRatio: doughnut ? 1.4 : 2,
        locale: rtl ? 'ar' : 'en',
        plugins: {
          legend: { display: doughnut, rtl: rtl, textDirection: rtl ? 'rtl' : 'ltr' },
          tooltip: { rtl: rtl, textDirection: rtl ? 'rtl' : 'ltr' }
        }
      }
    };
    if (!doughnut) {
      config.options.scales = {
        x: { reverse: rtl },
        y: { beginAtZero: true, ticks: { precision: 0 }, position: rtl ? 'right' : 'left' }
      };
    }
    new window.Chart(canvas, config);
    canvas.dataset.drawn = '1';
    var figure = canvas.closest('figure');
    var table = figure && figure.querySelector('.survey-chart-table');
    if (table) table.classList.add('visually-hidden');
  }

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll('canvas[data-survey-chart]'), draw);
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init); else init();
})();
