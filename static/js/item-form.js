/* Data item form: choosing an energy type fills 折标系数 (convertRation), 采集对象编码 and
   计量单位 from the energy dictionary (the server fills the same when they are left blank,
   so the form works without this script). A code or unit the user typed is kept unless it
   was the previous energy type's own. */
(function () {
  "use strict";
  function setup() {
    const select = document.querySelector("select[data-energy-defaults]");
    if (!select) return;
    const source = document.getElementById(select.dataset.energyDefaults);
    if (!source) return;
    const defaults = JSON.parse(source.textContent);
    const form = select.form;
    const field = (name) => form.elements.namedItem(name);
    let previous = defaults[select.value] || null;
    select.addEventListener("change", function () {
      const chosen = defaults[select.value];
      if (!chosen) {
        previous = null;
        return;
      }
      const ration = field("convert_ration");
      if (ration) ration.value = chosen.coefficient;
      for (const [name, key] of [["object_code", "code"], ["unit", "unit"]]) {
        const input = field(name);
        if (!input) continue;
        const current = input.value.trim();
        if (current === "" || (previous && current === previous[key])) input.value = chosen[key];
      }
      previous = chosen;
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setup);
  } else {
    setup();
  }
})();
