/* paperdex search page. Plain ES2020, no build step, no dependencies.
 *
 * Stable selectors (browser tests rely on these):
 *   #q                  search box (searches as you type, ~200 ms debounce, and on Enter)
 *   #count              "N papers · X ms" (ARIA live region); which papers, when the response says:
 *                       "N papers with every word" (matched all, several words), "... with most of
 *                       the words" (matched most), "... with any of the words" (matched any)
 *   #reading            how the text was read: the response's notes joined by " · ", a small grey
 *                       line under #count (`x` in a note shown as <code>); [hidden] when none
 *   #error              inline error message (previous results stay, greyed: #results.stale)
 *   #results > .hit     one result: li[data-id][tabindex=0]; Enter opens the detail
 *   .hit-title          result title (a link; a plain click opens the detail panel)
 *   .tag[data-path]     topic chip on a result (click adds the topic filter)
 *   .facet[data-path]   topic facet button in the sidebar tree (click adds/removes filter)
 *   .twisty[data-path]  expand/collapse a topic node
 *   .year[data-year]    year facet button (sets since/until to that year)
 *   .chip[data-path]    active topic filter chip (click removes it)
 *   .datechip           active date range chip (click clears since/until)
 *   .bar[data-month]    histogram bar, data-month="YYYY-MM" (click: that month)
 *   #since #until       date inputs;  #clear-dates
 *   #recency            recency boost checkbox;  #sort  relevance|date select
 *   #prev #next         paging (10 per page);  #page-info
 *   #detail             paper detail panel (role=dialog, [hidden] when closed)
 *   #detail-title       its heading; #detail-close close button (Esc also closes)
 *                       (?paper= takes any id form the API does: arXiv:ID, IDv2, arxiv.org URLs;
 *                       the URL is rewritten to the paper's own id once it loads)
 *   .similar[data-id]   "Similar papers" entries in the detail panel
 *   #empty              empty index / no results message
 *   #filters-toggle     shows the sidebar on narrow (< 800 px) screens
 * URL: ?q=&topic=(repeatable)&since=&until=&sort=date&recency=off&page=N&paper=ID
 */
'use strict';
(() => {
  const PAGE = 10;
  const $ = (sel) => document.querySelector(sel);
  const ui = {};
  for (const id of ['search-form', 'q', 'count', 'reading', 'error', 'results', 'empty', 'chips', 'topics', 'years', 'since',
    'until', 'clear-dates', 'recency', 'sort', 'prev', 'next', 'page-info', 'pager', 'histogram', 'bars', 'sidebar',
    'filters-toggle', 'detail', 'detail-body', 'detail-close']) ui[id.replace(/-(\w)/g, (_, c) => c.toUpperCase())] = $('#' + id);
  const MONTHS = 'January February March April May June July August September October November December'.split(' ');

  // ---- small DOM helper: h('tag', {class, text, data-x, onclick...}, ...children)
  function h(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v == null || v === false) continue;
      if (k === 'text') e.textContent = v;
      else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else if (k === 'height') e.style.height = v; // CSSOM, so a strict CSP still allows it
      else e.setAttribute(k, v === true ? '' : v);
    }
    for (const k of kids.flat()) if (k != null && k !== false) e.append(k);
    return e;
  }

  // ---- state <-> URL
  const state = { q: '', topics: [], since: '', until: '', sort: 'relevance', recency: true, page: 1, paper: null };
  const expanded = new Set();   // topic tree nodes the user opened
  const showAll = new Set();    // topic nodes showing all children
  // Last search response, and facets counted without our own filter ("multi-select" facets:
  // the topic tree ignores the topic filters, years and histogram ignore the date range).
  let last = null, topicFacets = {}, dateFacets = {};

  function readURL() {
    const p = new URLSearchParams(location.search), g = (k) => p.get(k) || '';
    Object.assign(state, { q: g('q'), topics: p.getAll('topic').filter(Boolean), since: g('since'), until: g('until'),
      sort: g('sort') === 'date' ? 'date' : 'relevance', recency: g('recency') !== 'off',
      page: Math.max(1, parseInt(g('page'), 10) || 1), paper: g('paper') || null });
    state.topics.forEach(expandTo);
  }
  function urlFor() {
    const p = new URLSearchParams(), set = (k, v) => v && p.append(k, v);
    set('q', state.q);
    state.topics.forEach((t) => set('topic', t));
    set('since', state.since); set('until', state.until);
    set('sort', state.sort === 'date' && 'date');
    set('recency', !state.recency && 'off');
    set('page', state.page > 1 && String(state.page));
    set('paper', state.paper);
    const s = p.toString();
    return location.pathname + (s ? '?' + s : '');
  }
  let typingEntry = false; // the current history entry was pushed by typing
  function commit(mode) { // mode: 'push' | 'replace' | 'typing'
    const url = urlFor();
    if (url === location.pathname + location.search) return;
    if (mode === 'push' || (mode === 'typing' && !typingEntry)) history.pushState(null, '', url);
    else history.replaceState(null, '', url);
    typingEntry = mode === 'typing';
  }
  function syncControls() {
    if (ui.q.value !== state.q) ui.q.value = state.q;
    ui.since.value = state.since; ui.until.value = state.until;
    ui.sort.value = state.sort;
    ui.recency.checked = state.recency;
    ui.clearDates.hidden = !(state.since || state.until);
  }

  // ---- fetching
  async function getJSON(url, signal) {
    const r = await fetch(url, { signal, headers: { Accept: 'application/json' } });
    const body = await r.json().catch(() => null);
    if (r.ok && body) return body;
    throw new Error((body && body.error && body.error.message) || `HTTP ${r.status} ${r.statusText}`);
  }
  // /api/search URL; `without` drops the 'topics' or the 'dates' filter (facet counts only).
  function apiURL(without) {
    const p = new URLSearchParams({ q: state.q });
    if (without !== 'topics') state.topics.forEach((t) => p.append('topic', t));
    if (without !== 'dates' && state.since) p.set('since', state.since);
    if (without !== 'dates' && state.until) p.set('until', state.until);
    p.set('limit', without ? '0' : String(PAGE));
    p.set('offset', without ? '0' : String((state.page - 1) * PAGE));
    if (state.sort !== 'relevance') p.set('sort', state.sort);
    if (!state.recency) p.set('recency_weight', '0');
    return 'api/search?' + p;
  }

  let seq = 0, ctrl = null, timer = 0, busyTimer = 0;
  async function search() {
    clearTimeout(timer); clearTimeout(busyTimer);
    if (ctrl) ctrl.abort();
    ctrl = new AbortController();
    const my = ++seq, signal = ctrl.signal;
    busyTimer = setTimeout(() => document.body.classList.add('busy'), 150); // progress bar only if slow
    ui.results.setAttribute('aria-busy', 'true');
    try {
      const side = (w, on) => (on ? getJSON(apiURL(w), signal).catch(() => null) : null);
      const [data, noTopics, noDates] = await Promise.all([getJSON(apiURL(), signal),
        side('topics', state.topics.length), side('dates', state.since || state.until)]);
      if (my !== seq) return;
      if (data.hits.length === 0 && data.total > 0 && state.page > 1) { // page beyond the end
        state.page = Math.ceil(data.total / PAGE);
        commit('replace');
        return search();
      }
      last = data;
      const f = (r, k) => (r && r.facets && r.facets[k]) || (data.facets && data.facets[k]) || {};
      topicFacets = f(noTopics, 'topic');
      dateFacets = f(noDates, 'date');
      showError(null);
      render();
    } catch (e) {
      if (e.name === 'AbortError' || my !== seq) return;
      showError(e.message || String(e));
    } finally {
      if (my === seq) { clearTimeout(busyTimer); document.body.classList.remove('busy'); ui.results.removeAttribute('aria-busy'); }
    }
  }
  function showError(msg) { // keeps the previous results, greyed
    ui.error.hidden = !msg;
    ui.error.textContent = msg || '';
    for (const e of [ui.results, ui.histogram]) e.classList.toggle('stale', !!msg);
  }
  // Any filter change: back to page 1, new history entry, search now.
  function update(mode = 'push') { state.page = 1; syncControls(); commit(mode); search(); }

  // ---- rendering
  function render() {
    const d = last;
    ui.count.textContent = countLine(d);
    renderReading(d.notes);
    renderChips(); renderResults(d); renderTopics(); renderYears(dateFacets); renderHistogram(dateFacets);
    const pages = Math.max(1, Math.ceil(d.total / PAGE));
    ui.prev.disabled = state.page <= 1;
    ui.next.disabled = state.page >= pages;
    ui.pageInfo.textContent = `Page ${state.page} of ${pages}`;
    ui.pager.hidden = d.total === 0;
  }

  // "N papers · X ms", saying which papers when the words did not all have to match or when
  // there are several words (a single word or query syntax speaks for itself).
  function countLine(d) {
    const t = +d.took_ms || 0, ms = t < 10 ? t.toFixed(1) : String(Math.round(t));
    const words = (String(d.query == null ? state.q : d.query).match(/[\p{L}\p{N}]+/gu) || []).length;
    let which = '';
    if (d.matched === 'most') which = ' with most of the words';
    else if (d.matched === 'any' && d.interpreted === 'syntax') which = ' matching any clause';
    else if (d.matched === 'any' && words > 1) which = ' with any of the words';
    else if (d.matched === 'all' && d.interpreted === 'words' && words > 1) which = ' with every word';
    return `${d.total} ${d.total === 1 ? 'paper' : 'papers'}${which} · ${ms} ms`;
  }
  // The engine's notes on how it read the text, quietly; `quoted` parts as code.
  function renderReading(notes) {
    const list = (Array.isArray(notes) ? notes : []).filter((n) => typeof n === 'string' && n.trim());
    const code = (n) => { const parts = n.split('`'); return parts.length % 2 ? parts.map((x, i) => (i % 2 ? h('code', { text: x }) : x)) : [n]; };
    ui.reading.replaceChildren(...list.flatMap((n, i) => (i ? [' · ', ...code(n)] : code(n))));
    ui.reading.hidden = !list.length;
  }

  function highlighted(text, ranges) {
    const frag = document.createDocumentFragment();
    if (!ranges || !ranges.length) { frag.append(text); return frag; }
    const bytes = new TextEncoder().encode(text), dec = new TextDecoder();
    const rs = ranges.map(([s, e]) => [Math.max(0, s | 0), Math.min(bytes.length, e | 0)])
      .filter(([s, e]) => e > s).sort((a, b) => a[0] - b[0]);
    let pos = 0;
    for (let [s, e] of rs) {
      if (e <= pos) continue;
      s = Math.max(s, pos);
      if (s > pos) frag.append(dec.decode(bytes.subarray(pos, s)));
      frag.append(h('mark', { text: dec.decode(bytes.subarray(s, e)) }));
      pos = e;
    }
    if (pos < bytes.length) frag.append(dec.decode(bytes.subarray(pos)));
    return frag;
  }
  const shortAuthors = (a) => (!a || !a.length ? '' : a.length <= 3 ? a.join(', ') : `${a.slice(0, 2).join(', ')} et al. (${a.length})`);
  const safeURL = (u) => (/^https?:\/\//i.test(u || '') ? u : null); // never javascript: from the index
  const topicLabel = (t) => t.replace(/^\//, '').split('/').join(' › ');
  const tagList = (topics) => h('ul', { class: 'tags', 'aria-label': 'Topics' },
    (topics || []).map((t) => h('li', {}, h('button', { type: 'button', class: 'tag', 'data-path': t, title: `Filter by ${t}` }, topicLabel(t)))));

  function renderResults(d) {
    ui.results.replaceChildren();
    ui.empty.hidden = d.hits.length > 0;
    if (!d.hits.length) return renderEmpty(d);
    d.hits.forEach((hit, i) => {
      const url = safeURL(hit.url), snip = hit.snippet || '';
      const lead = /^[a-z]/.test(snip) ? '… ' : '', tail = snip && !/[.!?)"…]$/.test(snip.trim()) ? ' …' : '';
      const titleId = `hit-t-${i}`;
      ui.results.append(h('li', { class: 'hit', 'data-id': hit.id, tabindex: '0', 'aria-labelledby': titleId },
        h('h3', { class: 'hit-head' },
          h('a', { class: 'hit-title', id: titleId, href: url || `?paper=${encodeURIComponent(hit.id)}` }, hit.title || '(untitled)')),
        h('p', { class: 'meta' },
          hit.date ? h('time', { datetime: hit.date, text: hit.date }) : h('span', { class: 'muted', text: 'undated' }),
          hit.authors && hit.authors.length ? h('span', { class: 'authors', title: hit.authors.join(', '), text: shortAuthors(hit.authors) }) : null,
          url ? h('a', { class: 'ext', href: url, target: '_blank', rel: 'noopener', 'aria-label': `Open ${hit.title} at source`, text: 'source ↗' }) : null,
          h('span', { class: 'pid', text: hit.id, title: hit.score != null ? `score ${hit.score.toFixed(3)}` : null })),
        snip ? h('p', { class: 'snippet' }, lead, highlighted(snip, hit.highlights), tail) : null,
        tagList(hit.topics)));
    });
  }
  function renderEmpty(d) {
    const filtered = state.topics.length || state.since || state.until;
    ui.empty.replaceChildren();
    if (!state.q && !filtered && d.total === 0) {
      ui.empty.append(h('h2', { text: 'No papers indexed yet' }),
        h('p', {}, 'Add some with ', h('code', { text: 'paperdex index PATH…' }), ' — this page picks them up without a restart.'));
      return;
    }
    ui.empty.append(h('h2', { text: state.q ? `No papers match “${state.q}”` : 'No papers match these filters' }),
      h('p', { text: 'Try fewer or broader terms, a prefix like atten*, or a fuzzy term~1.' }));
    if (filtered) ui.empty.append(h('button', { type: 'button', class: 'link', onclick: clearFilters, text: 'Clear topic and date filters' }));
  }
  function clearFilters() { state.topics = []; state.since = state.until = ''; update(); }

  function renderChips() {
    const chips = state.topics.map((t) => h('button', {
      type: 'button', class: 'chip', 'data-path': t, 'aria-label': `Remove topic filter ${t}`, title: 'Remove filter',
    }, topicLabel(t), h('span', { class: 'x', 'aria-hidden': 'true', text: '×' })));
    if (state.since || state.until) {
      chips.push(h('button', { type: 'button', class: 'datechip', 'aria-label': 'Remove date filter', title: 'Remove filter' },
        rangeLabel(), h('span', { class: 'x', 'aria-hidden': 'true', text: '×' })));
    }
    ui.chips.replaceChildren(...chips);
  }
  function rangeLabel() {
    const m = monthOf(state.since, state.until);
    return m ? `${MONTHS[+m.slice(5) - 1]} ${m.slice(0, 4)}` : yearOf(state.since, state.until) || `${state.since || '…'} – ${state.until || '…'}`;
  }

  // ---- topic tree
  function expandTo(path) {
    const parts = path.split('/').filter(Boolean);
    for (let i = 1; i < parts.length; i++) expanded.add('/' + parts.slice(0, i).join('/'));
  }
  function renderTopics() {
    const counts = topicFacets, kids = new Map();
    for (const p of Object.keys(counts)) {
      const parent = p.slice(0, Math.max(0, p.lastIndexOf('/')));
      kids.set(parent, [...(kids.get(parent) || []), p]);
    }
    for (const list of kids.values()) list.sort((a, b) => counts[b] - counts[a] || a.localeCompare(b));
    const branch = (parent) => {
      let list = kids.get(parent) || [];
      const more = list.length > 8 && !showAll.has(parent) ? list.length - 8 : 0;
      if (more) list = list.slice(0, 8);
      const items = list.map((p) => {
        const has = kids.has(p), open = has && expanded.has(p), active = state.topics.includes(p);
        const name = p.slice(p.lastIndexOf('/') + 1);
        return h('li', {},
          h('div', { class: 'node' },
            has ? h('button', { type: 'button', class: 'twisty', 'data-path': p, 'aria-expanded': String(open), 'aria-label': `${open ? 'Collapse' : 'Expand'} ${name}` })
              : h('span', { class: 'twisty-pad' }),
            h('button', { type: 'button', class: 'facet', 'data-path': p, 'aria-pressed': String(active), title: p },
              h('span', { class: 'name', text: name }), h('span', { class: 'n', text: String(counts[p]) }))),
          open ? h('ul', {}, branch(p)) : null);
      });
      if (more) items.push(h('li', {}, h('button', { type: 'button', class: 'link more', 'data-parent': parent, text: `Show ${more} more` })));
      return items;
    };
    const items = branch('');
    ui.topics.replaceChildren(...(items.length ? items : [h('li', { class: 'muted', text: 'No topics' })]));
  }
  ui.topics.addEventListener('click', (e) => {
    const b = e.target.closest('button');
    if (!b || !last) return;
    if (b.classList.contains('twisty')) {
      const p = b.dataset.path;
      expanded.has(p) ? expanded.delete(p) : expanded.add(p);
      renderTopics();
      const again = ui.topics.querySelector(`.twisty[data-path="${CSS.escape(p)}"]`);
      if (again) again.focus();
    } else if (b.classList.contains('more')) {
      showAll.add(b.dataset.parent);
      renderTopics();
    } else if (b.classList.contains('facet')) {
      toggleTopic(b.dataset.path);
    }
  });
  function toggleTopic(path, only) {
    if (state.topics.includes(path)) { if (only) return; state.topics = state.topics.filter((t) => t !== path); }
    else { state.topics = [...state.topics, path]; expandTo(path); expanded.add(path); }
    update();
  }

  // ---- years and months
  const pad = (n) => String(n).padStart(2, '0');
  const lastDay = (y, m) => new Date(Date.UTC(y, m, 0)).getUTCDate(); // m is 1-based
  function monthOf(since, until) {
    const m = /^(\d{4})-(\d{2})-01$/.exec(since || '');
    return m && until === `${m[1]}-${m[2]}-${pad(lastDay(+m[1], +m[2]))}` ? `${m[1]}-${m[2]}` : null;
  }
  function yearOf(since, until) {
    const m = /^(\d{4})-01-01$/.exec(since || '');
    return m && until === `${m[1]}-12-31` ? m[1] : null;
  }
  function setRange(since, until) { // clicking the active range again clears it
    const same = state.since === since && state.until === until;
    Object.assign(state, { since: same ? '' : since, until: same ? '' : until });
    update();
  }
  function renderYears(counts) {
    const years = Object.keys(counts).filter((k) => /^\/\d{4}$/.test(k)).sort().reverse();
    const sel = yearOf(state.since, state.until);
    ui.years.replaceChildren(...(years.length ? years.map((k) => h('li', {},
      h('button', { type: 'button', class: 'year', 'data-year': k.slice(1), 'aria-pressed': String(sel === k.slice(1)) },
        h('span', { class: 'name', text: k.slice(1) }), h('span', { class: 'n', text: String(counts[k]) }))))
      : [h('li', { class: 'muted', text: 'No dated papers' })]));
  }
  ui.years.addEventListener('click', (e) => {
    const b = e.target.closest('.year');
    if (b) setRange(`${b.dataset.year}-01-01`, `${b.dataset.year}-12-31`);
  });

  const monthIndex = (m) => +m.slice(0, 4) * 12 + (+m.slice(5) - 1);
  const monthName = (i) => `${Math.floor(i / 12)}-${pad((i % 12) + 1)}`;
  function renderHistogram(counts) {
    const months = Object.keys(counts).filter((k) => /^\/\d{4}\/\d{2}$/.test(k))
      .map((k) => [k.slice(1).replace('/', '-'), counts[k]]).sort((a, b) => (a[0] < b[0] ? -1 : 1));
    ui.histogram.hidden = months.length === 0;
    if (!months.length) return ui.bars.replaceChildren();
    const max = Math.max(...months.map((m) => m[1]));
    const lo = state.since ? state.since.slice(0, 7) : '0000-00', hi = state.until ? state.until.slice(0, 7) : '9999-99';
    const ranged = !!(state.since || state.until);
    const cols = [];
    let prev = null, labelNext = true;
    const col = (m, n) => {
      const [y, mo] = m.split('-'), name = `${MONTHS[+mo - 1]} ${y}`;
      const label = labelNext || mo === '01' ? y : '';
      labelNext = false;
      const inRange = ranged && m >= lo && m <= hi;
      const tip = `${name}: ${n} ${n === 1 ? 'paper' : 'papers'}`;
      const bar = n > 0
        ? h('button', { type: 'button', class: 'bar' + (inRange ? ' sel' : ''), 'data-month': m, title: tip, 'aria-label': tip, 'aria-pressed': String(inRange) },
          h('span', { class: 'fill', height: `${Math.max(3, (n / max) * 100).toFixed(1)}%` }))
        : h('span', { class: 'bar-empty', title: tip });
      cols.push(h('div', { class: 'hcol' + (ranged && !inRange ? ' dim' : '') }, bar, h('span', { class: 'hlabel', 'aria-hidden': 'true', text: label })));
    };
    for (const [m, n] of months) {
      if (prev) {
        const gap = monthIndex(m) - monthIndex(prev) - 1;
        if (gap > 0 && gap <= 3) for (let i = 1; i <= gap; i++) col(monthName(monthIndex(prev) + i), 0);
        else if (gap > 3) {
          cols.push(h('div', { class: 'hgap', title: `${gap} months without papers`, 'aria-hidden': 'true', text: '⋯' }));
          labelNext = true;
        }
      }
      col(m, n);
      prev = m;
    }
    ui.bars.replaceChildren(...cols);
    ui.bars.scrollLeft = ui.bars.scrollWidth;
  }
  ui.bars.addEventListener('click', (e) => {
    const b = e.target.closest('.bar');
    if (!b) return;
    const [y, m] = b.dataset.month.split('-').map(Number);
    let since = `${y}-${pad(m)}-01`, until = `${y}-${pad(m)}-${pad(lastDay(y, m))}`;
    if (e.shiftKey && state.since && state.since < since) since = state.since; // extend the range
    if (e.shiftKey && state.until && state.until > until) until = state.until;
    setRange(since, until);
  });

  // ---- paper detail
  let opener = null, detailSeq = 0;
  async function openDetail(id, from) {
    if (from) opener = from;
    state.paper = id;
    commit('replace');
    const my = ++detailSeq;
    ui.detail.hidden = false;
    document.body.classList.add('detail-open');
    ui.detailBody.replaceChildren(h('p', { class: 'muted', text: 'Loading…' }));
    ui.detailBody.scrollTop = 0;
    ui.detailClose.focus();
    let enc = encodeURIComponent(id);
    try {
      const p = await getJSON(`api/papers/${enc}`);
      if (my !== detailSeq) return;
      renderDetail(p);
      if (p.id && p.id !== id) { // arXiv:ID, a URL, IDv2, ...: the URL keeps the paper's own id
        state.paper = p.id;
        enc = encodeURIComponent(p.id);
        commit('replace');
      }
    } catch (e) {
      if (my !== detailSeq) return;
      ui.detailBody.replaceChildren(h('h2', { id: 'detail-title', text: 'Paper not available' }), h('p', { class: 'error', text: e.message }));
      return;
    }
    const box = h('section', { class: 'similar-box', 'aria-labelledby': 'similar-h' },
      h('h3', { id: 'similar-h', text: 'Similar papers' }), h('p', { class: 'muted', text: 'Looking…' }));
    ui.detailBody.append(box);
    try {
      const s = await getJSON(`api/similar/${enc}?limit=5`);
      if (my !== detailSeq) return;
      box.lastChild.replaceWith(s.hits.length ? h('ol', { class: 'similar-list' }, s.hits.map((x) => h('li', {},
        h('button', { type: 'button', class: 'similar', 'data-id': x.id }, x.title || x.id),
        h('span', { class: 'muted', text: [x.date, shortAuthors(x.authors)].filter(Boolean).join(' · ') }))))
        : h('p', { class: 'muted', text: 'Nothing similar found.' }));
    } catch (e) {
      if (my === detailSeq) box.lastChild.replaceWith(h('p', { class: 'error', text: e.message }));
    }
  }
  function renderDetail(p) {
    const url = safeURL(p.url);
    const row = (k, v) => (v ? [h('dt', { text: k }), h('dd', {}, v)] : []);
    const link = (href, text) => h('a', { href, target: '_blank', rel: 'noopener', text });
    const doi = p.doi ? link(`https://doi.org/${p.doi.replace(/^https?:\/\/(dx\.)?doi\.org\//, '')}`, p.doi) : null;
    ui.detailBody.replaceChildren(h('div', {},
      h('h2', { id: 'detail-title', tabindex: '-1' }, url ? link(url, p.title || p.id) : (p.title || p.id)),
      h('p', { class: 'meta' }, p.date ? h('time', { datetime: p.date, text: p.date }) : h('span', { class: 'muted', text: 'undated' }),
        h('span', { class: 'pid', text: p.id })),
      p.authors && p.authors.length ? h('p', { class: 'detail-authors', text: p.authors.join(', ') }) : null,
      tagList(p.topics),
      h('div', { class: 'abstract' }, ...(p.abstract || 'No abstract.').split(/\n\s*\n/).map((t) => h('p', { text: t }))),
      h('dl', { class: 'facts' },
        row('Link', url && link(url, url)), row('DOI', doi), row('Journal', p.journal_ref), row('Comment', p.comment),
        row('Sources', (p.sources || []).length ? h('ul', { class: 'sources' }, p.sources.map((s) => h('li', {},
          h('code', { text: `${s.file}:${s.line}` }), ' ', h('span', { class: 'muted', text: `(${s.format})` })))) : null))));
  }
  function closeDetail() {
    if (ui.detail.hidden) return;
    ++detailSeq;
    ui.detail.hidden = true;
    document.body.classList.remove('detail-open');
    state.paper = null;
    commit('replace');
    if (opener && opener.isConnected) opener.focus();
    opener = null;
  }
  ui.detailClose.addEventListener('click', closeDetail);
  ui.detail.addEventListener('click', (e) => {
    const s = e.target.closest('.similar');
    if (s) openDetail(s.dataset.id);
    const t = e.target.closest('.tag');
    if (t) { closeDetail(); toggleTopic(t.dataset.path, true); }
  });

  // ---- results interaction
  ui.results.addEventListener('click', (e) => {
    const tag = e.target.closest('.tag');
    if (tag) return toggleTopic(tag.dataset.path, true);
    if (e.target.closest('.ext')) return;
    const hit = e.target.closest('.hit');
    if (!hit) return;
    const title = e.target.closest('.hit-title');
    if (title && (e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0)) return; // let the browser open it
    if (title || e.target.closest('.hit-head')) {
      e.preventDefault();
      openDetail(hit.dataset.id, hit);
    }
  });
  ui.results.addEventListener('keydown', (e) => {
    const hit = e.target.closest('.hit');
    if (!hit) return;
    if (e.key === 'Enter' && e.target === hit) { e.preventDefault(); openDetail(hit.dataset.id, hit); }
    else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      const sib = e.key === 'ArrowDown' ? hit.nextElementSibling : hit.previousElementSibling;
      if (sib) sib.focus(); else if (e.key === 'ArrowUp') ui.q.focus();
    }
  });

  // ---- controls
  ui.q.addEventListener('input', () => {
    Object.assign(state, { q: ui.q.value, page: 1 });
    clearTimeout(timer);
    timer = setTimeout(() => { commit('typing'); search(); }, 200);
  });
  ui.q.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowDown' && ui.results.firstElementChild) { e.preventDefault(); ui.results.firstElementChild.focus(); }
  });
  ui.searchForm.addEventListener('submit', (e) => { e.preventDefault(); state.q = ui.q.value; update('typing'); });
  ui.chips.addEventListener('click', (e) => {
    const c = e.target.closest('.chip');
    if (c) { state.topics = state.topics.filter((t) => t !== c.dataset.path); update(); }
    else if (e.target.closest('.datechip')) { state.since = state.until = ''; update(); }
    if (c || e.target.closest('.datechip')) ui.q.focus();
  });
  for (const key of ['since', 'until']) {
    ui[key].addEventListener('change', () => {
      if (!ui[key].value || /^\d{4}-\d{2}-\d{2}$/.test(ui[key].value)) { state[key] = ui[key].value; update(); }
    });
  }
  ui.clearDates.addEventListener('click', () => { state.since = state.until = ''; update(); ui.since.focus(); });
  ui.recency.addEventListener('change', () => { state.recency = ui.recency.checked; update(); });
  ui.sort.addEventListener('change', () => { state.sort = ui.sort.value; update(); });
  const go = (delta) => {
    state.page = Math.max(1, state.page + delta);
    commit('push');
    search().then(() => window.scrollTo({ top: 0, behavior: 'smooth' }));
  };
  ui.prev.addEventListener('click', () => go(-1));
  ui.next.addEventListener('click', () => go(1));
  ui.filtersToggle.addEventListener('click', () => {
    const open = ui.sidebar.classList.toggle('open');
    ui.filtersToggle.setAttribute('aria-expanded', String(open));
  });

  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && !ui.detail.hidden) { e.preventDefault(); closeDetail(); return; }
    const typing = /^(INPUT|SELECT|TEXTAREA)$/.test(document.activeElement.tagName);
    if (e.key === '/' && !typing && !e.ctrlKey && !e.metaKey) { e.preventDefault(); ui.q.focus(); ui.q.select(); }
  });
  window.addEventListener('popstate', () => {
    typingEntry = false;
    readURL(); syncControls(); search();
    if (state.paper) openDetail(state.paper); else closeDetail();
  });

  // ---- start
  readURL(); syncControls(); search();
  if (state.paper) openDetail(state.paper); else ui.q.focus();
})();
