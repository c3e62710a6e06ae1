// Filters and paging for the fracqa report. Works offline; reads only this page's attributes.
(function () {
  "use strict";
  var form = document.getElementById("filters");
  if (!form) { return; }
  var findings = Array.prototype.slice.call(document.querySelectorAll("li.finding"));
  var groups = Array.prototype.slice.call(document.querySelectorAll("details.group"));
  var shown = document.getElementById("shown");
  var nothing = document.getElementById("nothing");
  var paged = {};  // rule -> number of findings revealed by "show more"

  function wanted() {
    var severities = {};
    Array.prototype.forEach.call(form.querySelectorAll("input[name=severity]"), function (box) {
      severities[box.value] = box.checked;
    });
    var waived = form.elements.waived;
    return {
      severities: severities,
      waived: waived ? waived.checked : true,
      family: form.elements.family.value,
      rule: form.elements.rule.value,
      text: form.elements.text.value.trim().toLowerCase()
    };
  }

  function apply() {
    var want = wanted();
    var filtering = want.text !== "" || want.family !== "" || want.rule !== "" || !want.waived ||
      Object.keys(want.severities).some(function (s) { return !want.severities[s]; });
    var visible = 0;
    var perRule = {};
    findings.forEach(function (item) {
      var d = item.dataset;
      var match = want.severities[d.severity] && (want.waived || d.waived !== "1") &&
        (!want.family || d.family === want.family) &&
        (!want.rule || d.rule === want.rule) &&
        (!want.text || d.text.indexOf(want.text) !== -1);
      var index = perRule[d.rule] = (perRule[d.rule] || 0) + 1;
      var limit = paged[d.rule] || PAGE;
      item.hidden = !match || (!filtering && index > limit);
      if (match) { visible += 1; }
    });
    groups.forEach(function (group) {
      var any = group.querySelector("li.finding:not([hidden])") !== null;
      group.hidden = !any;
      if (filtering && any) { group.open = true; }
      var more = group.querySelector("button.more");
      if (more) { more.hidden = filtering || (paged[group.dataset.rule] || PAGE) >= perRule[group.dataset.rule]; }
    });
    shown.textContent = "showing " + visible + " of " + findings.length + " findings";
    nothing.hidden = visible !== 0;
  }

  var PAGE = parseInt(document.body.dataset.page || "25", 10);
  form.addEventListener("input", apply);
  form.addEventListener("change", apply);
  Array.prototype.forEach.call(document.querySelectorAll("button.more"), function (button) {
    button.addEventListener("click", function () {
      var rule = button.dataset.rule;
      paged[rule] = (paged[rule] || PAGE) + PAGE;
      apply();
    });
  });
  apply();
})();
