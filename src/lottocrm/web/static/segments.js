// The segment builder: each row offers only the conditions its field's kind takes, and the game / channel
// box only for a field that needs one. The server checks everything again; this only spares a refusal.
(function () {
  "use strict";
  var OPS = {
    integer: ["eq", "ne", "lt", "le", "gt", "ge", "between", "known", "unknown"],
    number: ["eq", "ne", "lt", "le", "gt", "ge", "between", "known", "unknown"],
    money: ["eq", "ne", "lt", "le", "gt", "ge", "between", "known", "unknown"],
    choice: ["eq", "ne", "in", "not_in", "known", "unknown"],
    bool: ["is_true", "is_false", "known", "unknown"],
    date: ["before", "after", "between", "within_last_days", "more_than_days_ago", "known", "unknown"]
  };
  function fit(row) {
    var field = row.querySelector(".seg-field");
    var chosen = field.options[field.selectedIndex];
    var kind = chosen ? chosen.getAttribute("data-kind") : null;
    var allowed = kind ? OPS[kind] : null;
    var op = row.querySelector(".seg-op");
    Array.prototype.forEach.call(op.options, function (option) {
      option.hidden = allowed !== null && allowed.indexOf(option.value) < 0;
    });
    if (allowed !== null && allowed.indexOf(op.value) < 0) { op.value = allowed[0]; }
    var param = row.querySelector(".seg-param");
    param.style.visibility = chosen && chosen.getAttribute("data-param") ? "visible" : "hidden";
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".seg-row").forEach(function (row) {
      fit(row);
      row.querySelector(".seg-field").addEventListener("change", function () { fit(row); });
    });
  });
})();
