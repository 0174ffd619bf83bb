/**
 * The report's inline stylesheet and script. The script reads each table's records from a
 * <script type="application/json"> element (columns as arrays, repeated values as a dictionary)
 * and shows one page of rows at a time, so that 100 000 visits stay quick to sort and filter.
 * It only ever sets textContent and attributes; evidence text never becomes markup.
 * Plain ES5-level JavaScript with no dependencies: the report opens offline in any browser.
 */

export const REPORT_CSS = `
:root { color-scheme: light; --line: #c8ccd2; --head: #eef0f3; --accent: #1d4f91; --warn: #8a1c1c; }
* { box-sizing: border-box; }
body { font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; color: #1b1f24; background: #fff; }
header.top { background: #1d2733; color: #fff; padding: 12px 20px; }
header.top h1 { font-size: 20px; margin: 0 0 4px; }
header.top p { margin: 0; color: #cfd6de; }
nav { position: sticky; top: 0; background: #f7f8fa; border-bottom: 1px solid var(--line); padding: 6px 20px; z-index: 2; font-size: 13px; }
nav a { margin-right: 12px; color: var(--accent); text-decoration: none; white-space: nowrap; }
main { padding: 0 20px 40px; }
h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 2px solid var(--accent); padding-bottom: 3px; }
h3 { font-size: 15px; margin: 18px 0 6px; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { border: 1px solid var(--line); padding: 3px 6px; text-align: left; vertical-align: top; }
th { background: var(--head); }
td { overflow-wrap: anywhere; max-width: 40em; }
table.facts th { width: 16em; white-space: nowrap; }
.status { padding: 8px 12px; border-radius: 4px; margin: 12px 0; border: 1px solid; }
.status.ok { background: #e9f6ec; border-color: #6aa87a; }
.status.note { background: #eef3fb; border-color: #7b9cc9; }
.status.bad { background: #fbeaea; border-color: var(--warn); color: var(--warn); font-weight: 600; }
.cards { display: flex; flex-wrap: wrap; gap: 10px; }
.card { border: 1px solid var(--line); border-radius: 4px; padding: 8px 12px; min-width: 15em; flex: 1 1 15em; }
.card h3 { margin: 0 0 4px; }
.card ul { margin: 0; padding-left: 1.1em; }
.muted { color: #5d6670; }
.mono { font-family: ui-monospace, Consolas, monospace; font-size: 12px; }
.controls { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; margin: 6px 0; }
.controls input[type=search] { min-width: 22em; padding: 3px 6px; }
.records th.sortable { cursor: pointer; user-select: none; }
.records th[aria-sort=ascending]::after { content: " \\25B2"; }
.records th[aria-sort=descending]::after { content: " \\25BC"; }
.records tr.group td { background: #f3f5f8; font-weight: 600; }
.pager button { margin-right: 4px; }
svg.map { border: 1px solid var(--line); background: #f9fbfd; max-width: 100%; height: auto; }
svg.map .grid { stroke: #d5dbe2; stroke-width: 0.5; fill: none; vector-effect: non-scaling-stroke; }
svg.map .axis { fill: #6b7580; font-size: 10px; }
svg.map circle { fill: #c0392b; stroke: #fff; stroke-width: 1; vector-effect: non-scaling-stroke; }
@media print { nav, .controls, .pager { display: none; } }
`

export const REPORT_SCRIPT = `
(function () {
  'use strict';
  var PAGE_SIZES = [50, 100, 500];

  function decode(column) {
    if (Array.isArray(column)) return column;
    var out = new Array(column.i.length);
    for (var i = 0; i < column.i.length; i++) out[i] = column.i[i] < 0 ? null : column.d[column.i[i]];
    return out;
  }

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    if (attrs) for (var k in attrs) if (Object.prototype.hasOwnProperty.call(attrs, k)) e.setAttribute(k, attrs[k]);
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  // a bundle path as a relative link from report.html at the bundle's root (each segment escaped)
  function copyHref(path) {
    if (typeof path !== 'string' || !/^(files|live|parsed)\\//.test(path)) return null;
    return path.split('/').map(encodeURIComponent).join('/');
  }

  function compare(kind) {
    return function (a, b) {
      if (a === b) return 0;
      if (a === null || a === undefined) return 1;
      if (b === null || b === undefined) return -1;
      if (kind === 'number' && typeof a === 'number' && typeof b === 'number') return a - b;
      var x = String(a), y = String(b);
      if (kind !== 'time') { x = x.toLowerCase(); y = y.toLowerCase(); }
      return x < y ? -1 : x > y ? 1 : 0;
    };
  }

  function RecordTable(holder, spec) {
    this.spec = spec;
    this.n = spec.n;
    this.cols = spec.cols.map(decode);
    this.titles = spec.columns.map(function (c) { return c.t; });
    this.kinds = spec.columns.map(function (c) { return c.k || 'text'; });
    this.copyColumn = this.titles.indexOf('Copy in bundle');
    this.groupColumn = spec.group ? this.titles.indexOf(spec.group) : -1;
    this.filter = '';
    this.groupValue = null;
    this.sort = this.groupColumn >= 0 ? {column: this.groupColumn, dir: 1} : null;
    this.page = 0;
    this.pageSize = 100;
    this.haystack = null;
    this.order = null;
    this.build(holder);
    this.apply();
  }

  RecordTable.prototype.build = function (holder) {
    var self = this;
    var controls = el('div', {'class': 'controls'});
    var search = el('input', {type: 'search', placeholder: 'Filter these ' + this.n + ' records (any column)', 'aria-label': 'filter', 'data-role': 'filter'});
    search.addEventListener('input', function () { self.filter = search.value.toLowerCase(); self.page = 0; self.apply(); });
    controls.appendChild(search);
    if (this.groupColumn >= 0) {
      var select = el('select', {'aria-label': this.spec.group, 'data-role': 'group'});
      select.appendChild(el('option', {value: ''}, 'All ' + this.spec.group.toLowerCase() + 's'));
      var seen = {}, values = [];
      this.cols[this.groupColumn].forEach(function (v) { var key = v === null ? '' : String(v); if (!seen['$' + key]) { seen['$' + key] = 1; values.push(key); } });
      values.sort().forEach(function (v, i) { var o = el('option', {value: String(i + 1)}, v === '' ? '(none)' : v); o.dataValue = v; select.appendChild(o); });
      select.addEventListener('change', function () {
        var o = select.options[select.selectedIndex];
        self.groupValue = select.value === '' ? null : o.dataValue;
        self.page = 0;
        self.apply();
      });
      controls.appendChild(select);
    }
    this.countLabel = el('span', {'class': 'muted', 'data-role': 'shown'});
    controls.appendChild(this.countLabel);
    holder.appendChild(controls);

    var table = el('table', {'class': 'records'});
    var head = el('tr');
    this.headers = this.titles.map(function (title, i) {
      var th = el('th', {'class': 'sortable', scope: 'col', 'data-column': String(i)}, title);
      th.addEventListener('click', function () {
        self.sort = self.sort && self.sort.column === i ? {column: i, dir: -self.sort.dir} : {column: i, dir: 1};
        self.page = 0;
        self.apply();
      });
      head.appendChild(th);
      return th;
    });
    var thead = el('thead');
    thead.appendChild(head);
    table.appendChild(thead);
    this.body = el('tbody');
    table.appendChild(this.body);
    holder.appendChild(table);

    var pager = el('div', {'class': 'pager controls'});
    var buttons = [['first', '\\u00ab first'], ['prev', '\\u2039 previous'], ['next', 'next \\u203a'], ['last', 'last \\u00bb']];
    buttons.forEach(function (b) {
      var button = el('button', {type: 'button', 'data-role': b[0]}, b[1]);
      button.addEventListener('click', function () { self.turn(b[0]); });
      pager.appendChild(button);
    });
    var size = el('select', {'aria-label': 'rows per page'});
    PAGE_SIZES.forEach(function (s) { var o = el('option', {value: String(s)}, s + ' rows per page'); if (s === self.pageSize) o.selected = true; size.appendChild(o); });
    size.addEventListener('change', function () { self.pageSize = Number(size.value); self.page = 0; self.render(); });
    pager.appendChild(size);
    this.pageLabel = el('span', {'class': 'muted'});
    pager.appendChild(this.pageLabel);
    holder.appendChild(pager);
  };

  RecordTable.prototype.turn = function (where) {
    var pages = Math.max(1, Math.ceil(this.order.length / this.pageSize));
    if (where === 'first') this.page = 0;
    if (where === 'prev') this.page = Math.max(0, this.page - 1);
    if (where === 'next') this.page = Math.min(pages - 1, this.page + 1);
    if (where === 'last') this.page = pages - 1;
    this.render();
  };

  RecordTable.prototype.text = function (row) {
    if (!this.haystack) {
      this.haystack = new Array(this.n);
      for (var r = 0; r < this.n; r++) {
        var parts = [];
        for (var c = 0; c < this.cols.length; c++) { var v = this.cols[c][r]; if (v !== null && v !== undefined) parts.push(String(v)); }
        this.haystack[r] = parts.join('\\u0000').toLowerCase();
      }
    }
    return this.haystack[row];
  };

  RecordTable.prototype.apply = function () {
    var order = [];
    var group = this.groupColumn >= 0 ? this.cols[this.groupColumn] : null;
    for (var r = 0; r < this.n; r++) {
      if (this.groupValue !== null && String(group[r] === null ? '' : group[r]) !== this.groupValue) continue;
      if (this.filter && this.text(r).indexOf(this.filter) < 0) continue;
      order.push(r);
    }
    if (this.sort) {
      var values = this.cols[this.sort.column], cmp = compare(this.kinds[this.sort.column]), dir = this.sort.dir;
      // ties keep the records' own order (for messages: time within a conversation)
      order.sort(function (a, b) { return dir * cmp(values[a], values[b]) || a - b; });
    }
    this.order = order;
    var self = this;
    this.headers.forEach(function (th, i) {
      if (self.sort && self.sort.column === i) th.setAttribute('aria-sort', self.sort.dir > 0 ? 'ascending' : 'descending');
      else th.removeAttribute('aria-sort');
    });
    this.render();
  };

  RecordTable.prototype.render = function () {
    var start = this.page * this.pageSize, end = Math.min(this.order.length, start + this.pageSize);
    var body = el('tbody');
    var grouped = this.groupColumn >= 0 && this.sort && this.sort.column === this.groupColumn;
    var last = {};
    for (var i = start; i < end; i++) {
      var r = this.order[i];
      if (grouped) {
        var g = this.cols[this.groupColumn][r];
        if (g !== last) {
          var header = el('tr', {'class': 'group'});
          header.appendChild(el('td', {colspan: String(this.cols.length)}, this.spec.group + ': ' + (g === null ? '(none)' : g)));
          body.appendChild(header);
          last = g;
        }
      }
      var tr = el('tr', {'data-row': String(r)});
      for (var c = 0; c < this.cols.length; c++) {
        var v = this.cols[c][r];
        var td = el('td');
        if (this.kinds[c] === 'time' || c === this.copyColumn) td.className = 'mono';
        var href = c === this.copyColumn ? copyHref(v) : null;
        if (href) td.appendChild(el('a', {href: href}, v));
        else if (v !== null && v !== undefined) td.textContent = String(v);
        tr.appendChild(td);
      }
      body.appendChild(tr);
    }
    this.body.parentNode.replaceChild(body, this.body);
    this.body = body;
    var total = this.order.length;
    this.countLabel.textContent = total === this.n ? this.n + ' records' : total + ' of ' + this.n + ' records match';
    var pages = Math.max(1, Math.ceil(total / this.pageSize));
    this.pageLabel.textContent = total === 0 ? 'no rows' : 'rows ' + (start + 1) + '\\u2013' + end + ' of ' + total + ', page ' + (this.page + 1) + ' of ' + pages;
  };

  var specs = document.querySelectorAll('script.trawl-table');
  for (var i = 0; i < specs.length; i++) {
    var holder = document.getElementById(specs[i].getAttribute('data-holder'));
    holder.recordTable = new RecordTable(holder, JSON.parse(specs[i].textContent));
  }
  document.documentElement.setAttribute('data-ready', 'true');
})();
`
