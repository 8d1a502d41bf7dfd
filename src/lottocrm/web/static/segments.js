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
    var paramName = chosen ? chosen.getAttribute("data-param") : "";
    param.style.visibility = paramName ? "visible" : "hidden";
    param.setAttribute("list", paramName === "channel" ? "channels" : "games");
    // A behaviour field's window (days, or from … to); a draw's number or day; nothing for other fields.
    var rule = chosen ? chosen.getAttribute("data-rule") : "";
    row.querySelector(".seg-period").style.visibility = rule ? "visible" : "hidden";
    ["seg-days", "seg-from"].forEach(function (name) {
      var box = row.querySelector("." + name);
      box.placeholder = box.getAttribute(rule === "draw" ? "data-draw" : "data-window");
    });
    row.querySelector(".seg-to").style.display = rule === "draw" ? "none" : "";
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".seg-row").forEach(function (row) {
      fit(row);
      row.querySelector(".seg-field").addEventListener("change", function () { fit(row); });
    });
  });
})();
