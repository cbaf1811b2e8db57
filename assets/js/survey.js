// The patient's survey page: shows and hides conditional questions as answers change, and keeps
// the progress bar current. Without this script the server does the same on each post.
(function () {
  "use strict";
  var form = document.getElementById("survey-form");
  if (!form) {
    return;
  }
  var questions = Array.prototype.slice.call(form.querySelectorAll("fieldset.survey-question"));
  var byCode = {};
  questions.forEach(function (q) {
    byCode[q.getAttribute("data-code")] = q;
  });

  // The answered values of a question (checked options, or typed text).
  function values(q) {
    var out = [];
    q.querySelectorAll("input, textarea").forEach(function (el) {
      if (el.type === "hidden") {
        return;
      }
      if (el.type === "radio" || el.type === "checkbox") {
        if (el.checked) {
          out.push(el.value);
        }
      } else if (el.value.trim() !== "") {
        out.push(el.value.trim());
      }
    });
    return out;
  }

  function isNumber(s) {
    return s !== "" && !isNaN(Number(s));
  }

  // Mirrors rules::matches: eq/ne on any value (numbers compared as numbers), the others on numbers.
  function matches(op, expected, answered) {
    if (answered.length === 0) {
      return false;
    }
    var equal = answered.some(function (v) {
      return v === expected || (isNumber(v) && isNumber(expected) && Number(v) === Number(expected));
    });
    if (op === "eq") {
      return equal;
    }
    if (op === "ne") {
      return !equal;
    }
    if (!isNumber(answered[0]) || !isNumber(expected)) {
      return false;
    }
    var n = Number(answered[0]);
    var v = Number(expected);
    return (op === "lt" && n < v) || (op === "lte" && n <= v) || (op === "gt" && n > v) || (op === "gte" && n >= v);
  }

  function update() {
    // In order, so a chain of conditions follows its earlier questions.
    questions.forEach(function (q) {
      var code = q.getAttribute("data-show-if-code");
      if (!code) {
        return;
      }
      var target = byCode[code];
      var on = !!target && !target.hidden &&
        matches(q.getAttribute("data-show-if-op"), q.getAttribute("data-show-if-value"), values(target));
      q.hidden = !on;
      q.disabled = !on;
    });
    var total = 0;
    var answered = 0;
    questions.forEach(function (q) {
      if (q.hidden) {
        return;
      }
      total += 1;
      if (values(q).length > 0) {
        answered += 1;
      }
    });
    var bar = document.getElementById("survey-progress-bar");
    var text = document.getElementById("survey-progress-text");
    if (bar) {
      var percent = total === 0 ? 0 : Math.floor((answered * 100) / total);
      bar.value = percent;
      bar.textContent = percent + "%";
    }
    if (text) {
      text.textContent = answered + " " + text.getAttribute("data-of") + " " + total;
    }
  }

  form.addEventListener("change", update);
  form.addEventListener("input", update);
  update();

  var alert = document.getElementById("survey-alert");
  if (alert) {
    var firstError = form.querySelector(".survey-error");
    var target = firstError ? firstError.closest("fieldset") : alert;
    if (target && target.scrollIntoView) {
      target.scrollIntoView({ block: "center" });
    }
    alert.focus({ preventScroll: true });
  }
})();
