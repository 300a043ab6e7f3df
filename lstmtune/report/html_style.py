"""The HTML report's inline style sheet, its one script (sorting a table by the clicked header) and its
Content-Security-Policy: static text the page embeds."""

CSS = """
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; background: #f6f7f9; color: #1d2430;
       font: 15px/1.5 -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1120px; margin: 0 auto; padding: 24px 28px 48px; background: #fff;
       box-shadow: 0 0 0 1px #e3e6ea; }
h1 { font-size: 1.55rem; margin: 0.2em 0 0.1em; }
h2 { font-size: 1.2rem; margin: 1.8em 0 0.5em; padding-bottom: 0.25em; border-bottom: 2px solid #e3e6ea; }
h3 { font-size: 1.0rem; margin: 1.2em 0 0.4em; }
p, li { max-width: 80ch; }
code, .mono { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 0.88em; }
.sub { color: #5a6472; margin: 0 0 1em; }
.muted { color: #6b7480; font-size: 0.9em; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 18px; margin: 0; }
dl.facts dt { color: #5a6472; font-weight: 600; }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
.scroll { overflow-x: auto; margin: 0.5em 0 0.3em; }
table { border-collapse: collapse; font-size: 0.84rem; font-variant-numeric: tabular-nums; }
th, td { border: 1px solid #dde1e6; padding: 3px 7px; text-align: left; vertical-align: middle; }
th { background: #f0f2f5; font-weight: 600; }
td.num { text-align: right; white-space: nowrap; }
tr.best td { background: #fff8e1; }
tr.baseline td { color: #4a5360; }
tr.reference td { background: #eef4fb; }
p.verdict { font-weight: 600; }
td.spark { font-family: ui-monospace, Menlo, Consolas, monospace; letter-spacing: -1px; white-space: nowrap; }
caption { caption-side: bottom; text-align: left; color: #6b7480; font-size: 0.85em; padding-top: 4px; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 0.8em; font-weight: 600;
         font-family: ui-monospace, Menlo, Consolas, monospace; background: #fde7e7; color: #9b1c1c;
         border: 1px solid #f5c2c2; white-space: nowrap; }
.badge.info { background: #e8eef7; color: #274b7a; border-color: #c5d4ea; }
.state { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 0.85em; font-weight: 600;
         background: #e6f4ea; color: #1e6b34; border: 1px solid #b7dfc3; }
.state.other { background: #fff4e0; color: #8a5300; border-color: #f1d39b; }
ul.findings li { margin: 0.3em 0; }
.pos { color: #1e6b34; } .neg { color: #9b1c1c; }
figure { margin: 1.4em 0; }
figure img { display: block; max-width: 100%; height: auto; border: 1px solid #e3e6ea; }
figcaption { color: #4a5360; font-size: 0.9em; margin-top: 6px; max-width: 90ch; }
details { margin: 0.6em 0; } summary { cursor: pointer; color: #2b5ea7; }
table.sortable th { cursor: pointer; user-select: none; }
table.sortable th[aria-sort="ascending"]::after { content: " \25B2"; font-size: 0.75em; }
table.sortable th[aria-sort="descending"]::after { content: " \25BC"; font-size: 0.75em; }
th.trial { text-align: right; }
p.live { background: #e8eef7; color: #274b7a; border: 1px solid #c5d4ea; border-radius: 6px; padding: 4px 10px; }
footer { margin-top: 2.5em; color: #8a929c; font-size: 0.8em; }
"""


# Sorts a table.sortable by the clicked header (again: the other way): numbers by the cells' data-sort
# values, missing ones last, words alphabetically. Nothing else runs.
SORT_SCRIPT = """
document.querySelectorAll("table.sortable").forEach(function (table) {
  var headers = table.querySelectorAll("thead th");
  headers.forEach(function (header, column) {
    header.tabIndex = 0;
    header.title = "sort by " + header.textContent;
    function key(row) {
      var cell = row.cells[column];
      var value = cell && cell.dataset.sort !== undefined ? parseFloat(cell.dataset.sort) : NaN;
      return {number: value, text: cell ? cell.textContent : ""};
    }
    function sort() {
      var up = header.getAttribute("aria-sort") !== "ascending";
      headers.forEach(function (other) { other.removeAttribute("aria-sort"); });
      header.setAttribute("aria-sort", up ? "ascending" : "descending");
      var body = table.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = key(a), y = key(b);
        if (isNaN(x.number) !== isNaN(y.number)) { return isNaN(x.number) ? 1 : -1; }
        var order = isNaN(x.number) ? x.text.localeCompare(y.text) : x.number - y.number;
        return up ? order : -order;
      });
      rows.forEach(function (row) { body.appendChild(row); });
    }
    header.addEventListener("click", sort);
    header.addEventListener("keydown", function (event) { if (event.key === "Enter") { sort(); } });
  });
});
"""
# Nothing loads from outside the page; styles and the sorting script are inline.
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'"
