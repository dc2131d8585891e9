/* paperdex search page. Plain ES2020, no build step, no dependencies.
 *
 * Stable selectors (browser tests rely on these):
 *   #q                  search box (searches as you type, ~200 ms debounce, and on Enter)
 *   #overview           what the index holds, on the home page (no query, no filter): .overview-papers,
 *                       .overview-dates, .top-topic[data-path] buttons (click: filter by that topic)
 *   #count              "N papers · X ms" (ARIA live region); which papers, when the response says:
 *                       "N papers with every word" (matched all, several words), "... with most of
 *                       the words" (matched most), "... with any of the words" (matched any)
 *   #reading            how the text was read: the response's notes joined by " · ", a small grey
 *                       line under #count (`x` in a note shown as <code>); [hidden] when none
 *   #error              inline error message (previous results stay, greyed: #results.stale)
 *   .pending            on #count, #results and #histogram while their answer is out of date (a new
 *                       search is typed or in flight); greyed after a short delay
 *   #results > .hit     one result: li[data-id][tabindex=0]; Enter opens the detail
 *   .hit-title          result title (a link; a plain click opens the detail panel)
 *   a.author            an author of a result or paper: ?q=author:"Name" (click searches it)
 *   a.pdf               arXiv PDF link beside the abstract link (arXiv papers only)
 *   .copy[data-copy]    copy buttons, data-copy="id"|"bibtex" and data-id; say "Copied" for a moment
 *   .tag[data-path]     topic chip on a result (click adds the topic filter); arXiv labels
 *                       ("cs.CL Computation and Language") come from /api/facets
 *   .facet[data-path]   topic facet button in the sidebar tree (click adds/removes filter)
 *   .twisty[data-path]  expand/collapse a topic node
 *   .topic-filter[data-parent]  filter box over a level with more than 12 topics
 *   .year[data-year]    year facet button (sets since/until to that year)
 *   .chip[data-path]    active topic filter chip (click removes it)
 *   .datechip           active date range chip (click clears since/until)
 *   .bar[data-month]    histogram bar, data-month="YYYY-MM" (click: that month); .hmonth month names
 *                       under the bars (every month, or every 3rd/6th when narrow), .hlabel years
 *   #since #until       date inputs;  #clear-dates
 *   #recency            recency boost checkbox (disabled under "Newest first");  #sort  relevance|date
 *   #prev #next         paging (10 per page);  #page-info
 *   #detail             paper detail panel (role=dialog, [hidden] when closed)
 *   #detail-title       its heading; #detail-close close button (Esc also closes); opening a paper
 *                       is a history entry, so Back closes it
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
    'filters-toggle', 'detail', 'detail-body', 'detail-close', 'overview', 'announce']) ui[id.replace(/-(\w)/g, (_, c) => c.toUpperCase())] = $('#' + id);
  const MONTHS = 'January February March April May June July August September October November December'.split(' ');
  const FILTER_OVER = 12; // a topic level with more children than this gets a filter box

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
  const topicFilter = new Map(); // topic node -> what its filter box holds
  // Last search response, and facets counted without our own filter ("multi-select" facets:
  // the topic tree ignores the topic filters, years and histogram ignore the date range).
  let last = null, topicFacets = {}, dateFacets = {};
  // What the whole index holds (/health and /api/facets, fetched once): the home overview, and
  // the topic labels ("cs.CL Computation and Language") for every path in the index.
  let labels = {}, summary = null;

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
  // mode: 'push' | 'replace' | 'typing' | 'detail' (an entry that opened a paper: `detail` is
  // how many papers deep it is, which Close and Esc go back by, so Back and Close agree)
  function commit(mode) {
    const url = urlFor();
    if (url === location.pathname + location.search) return;
    const deep = !ui.detail.hidden && history.state && history.state.detail;
    const entry = mode === 'detail' ? { detail: (deep || 0) + 1 } : null;
    if (mode === 'push' || mode === 'detail' || (mode === 'typing' && !typingEntry)) history.pushState(entry, '', url);
    else history.replaceState(mode === 'replace' ? history.state : null, '', url);
    typingEntry = mode === 'typing';
  }
  function syncControls() {
    if (ui.q.value !== state.q) ui.q.value = state.q;
    ui.since.value = state.since; ui.until.value = state.until;
    ui.sort.value = state.sort;
    ui.recency.checked = state.recency;
    // Newest first ignores scores, so there is nothing for the boost to favour.
    ui.recency.disabled = state.sort === 'date';
    ui.recency.parentElement.title = state.sort === 'date' ? 'Not used when sorting by newest first' : 'Boost recent papers in relevance ranking';
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
    setPending(true);
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
      if (my === seq) {
        clearTimeout(busyTimer); document.body.classList.remove('busy'); ui.results.removeAttribute('aria-busy');
        setPending(false);
      }
    }
  }
  // The count, results and histogram answer an older search while a new one is typed or in
  // flight: grey them (CSS waits a moment, so a quick answer never flickers).
  function setPending(on) {
    for (const e of [ui.count, ui.results, ui.histogram]) e.classList.toggle('pending', on);
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
    renderChips(); renderResults(d); renderTopics(); renderYears(dateFacets); renderHistogram(dateFacets); renderOverview();
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
    return `${num(d.total)} ${d.total === 1 ? 'paper' : 'papers'}${which} · ${ms} ms`;
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
  // arXiv ids, new (2503.16428) and old style (hep-th/9901001): such papers have a PDF at arXiv.
  const pdfURL = (id) => (/^(\d{4}\.\d{4,5}|[a-z][a-z-]*(\.[A-Z]{2})?\/\d{7})$/.test(id || '') ? `https://arxiv.org/pdf/${id}` : null);
  // A topic as text: its arXiv label ("cs.CL Computation and Language") or its path.
  const topicLabel = (t) => labels[t] || t.replace(/^\//, '').split('/').join(' › ');
  // The same with the code set apart: "cs.CL" then the name.
  function topicName(t, fallback) {
    const l = labels[t];
    if (!l) return h('span', { class: 'name', text: fallback || topicLabel(t) });
    const cut = l.indexOf(' ');
    return h('span', { class: 'name' }, h('span', { class: 'code', text: l.slice(0, cut) }), l.slice(cut));
  }
  const tagList = (topics) => h('ul', { class: 'tags', 'aria-label': 'Topics' },
    (topics || []).map((t) => h('li', {}, h('button', { type: 'button', class: 'tag', 'data-path': t, title: `Filter by ${t}` }, topicName(t)))));
  // Authors as links that search for that author (the API's `author:"Name"` syntax); past
  // `max` names, the first max-1 and "et al. (N)".
  const authorQuery = (name) => `author:"${name.replace(/"/g, '')}"`;
  function authorLinks(authors, max) {
    if (!authors || !authors.length) return null;
    const shown = max && authors.length > max ? authors.slice(0, max - 1) : authors;
    return h('span', { class: 'authors' }, shown.flatMap((a, i) => [i ? ', ' : null,
      h('a', { class: 'author', href: `?q=${encodeURIComponent(authorQuery(a))}`, title: `Papers by ${a}`, text: a })]),
    shown.length < authors.length ? h('span', { title: authors.join(', '), text: ` et al. (${authors.length})` }) : null);
  }
  const copyButton = (kind, id, text, label) => h('button', { type: 'button', class: 'copy', 'data-copy': kind, 'data-id': id,
    'aria-label': label, title: label, text });

  function renderResults(d) {
    ui.results.replaceChildren();
    ui.empty.hidden = d.hits.length > 0;
    if (!d.hits.length) return renderEmpty(d);
    d.hits.forEach((hit, i) => {
      const url = safeURL(hit.url), pdf = pdfURL(hit.id), snip = hit.snippet || '';
      const lead = /^[a-z]/.test(snip) ? '… ' : '', tail = snip && !/[.!?)"…]$/.test(snip.trim()) ? ' …' : '';
      const titleId = `hit-t-${i}`;
      ui.results.append(h('li', { class: 'hit', 'data-id': hit.id, tabindex: '0', 'aria-labelledby': titleId },
        h('h3', { class: 'hit-head' },
          h('a', { class: 'hit-title', id: titleId, href: url || `?paper=${encodeURIComponent(hit.id)}` }, hit.title || '(untitled)')),
        h('p', { class: 'meta' },
          hit.date ? h('time', { datetime: hit.date, text: hit.date }) : h('span', { class: 'muted', text: 'undated' }),
          authorLinks(hit.authors, 3),
          url ? h('a', { class: 'ext', href: url, target: '_blank', rel: 'noopener', 'aria-label': `Open ${hit.title} at source`, text: pdf ? 'abstract ↗' : 'source ↗' }) : null,
          pdf ? h('a', { class: 'ext pdf', href: pdf, target: '_blank', rel: 'noopener', 'aria-label': `PDF of ${hit.title}`, text: 'PDF ↗' }) : null,
          h('span', { class: 'pid', title: hit.score != null ? `score ${hit.score.toFixed(3)}` : null },
            copyButton('id', hit.id, hit.id, `Copy id ${hit.id}`), copyButton('bibtex', hit.id, 'BibTeX', `Copy the BibTeX entry of ${hit.id}`))),
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

  // ---- home: what the index holds, shown before anything is typed or filtered
  async function loadSummary() {
    try {
      const [health, facets] = await Promise.all([getJSON('health'), getJSON('api/facets')]);
      labels = facets.labels || {};
      const t = facets.topic || {}, paths = Object.keys(t), parents = new Set();
      for (const p of paths) parents.add(p.slice(0, p.lastIndexOf('/')));
      const byCount = (a, b) => t[b] - t[a] || a.localeCompare(b);
      summary = {
        papers: health.papers, first: health.first_date, last: health.last_date,
        roots: paths.filter((p) => p.lastIndexOf('/') === 0).sort(byCount),
        // The most common topics a filter can narrow to: the leaves of the tree.
        top: paths.filter((p) => !parents.has(p)).sort(byCount).slice(0, 8).map((p) => [p, t[p]]),
      };
      summary.roots = summary.roots.map((p) => [p, t[p]]);
      if (last) render(); else renderOverview();
      // A paper opened before the labels came (?paper= on load) gets them now.
      for (const t of ui.detailBody.querySelectorAll('.tag[data-path]')) t.replaceChildren(topicName(t.dataset.path));
    } catch (_) { /* the page works without labels and the overview */ }
  }
  const isHome = () => !state.q && !state.topics.length && !state.since && !state.until;
  const num = (n) => Number(n).toLocaleString('en');
  function renderOverview() {
    const show = !!(isHome() && summary && summary.papers > 0);
    ui.overview.hidden = !show;
    if (!show) return;
    const { papers, first, last: newest, roots, top } = summary;
    ui.overview.replaceChildren(
      h('h2', { id: 'overview-h', text: 'In this index' }),
      h('p', { class: 'overview-line' },
        h('strong', { class: 'overview-papers', text: `${num(papers)} ${papers === 1 ? 'paper' : 'papers'}` }),
        first ? [' dated ', h('span', { class: 'overview-dates' },
          h('time', { datetime: first, text: first }), ' to ', h('time', { datetime: newest, text: newest }))] : null,
        roots.length ? [', from ', ...roots.map(([p, n], i) => `${i ? ', ' : ''}${p.slice(1)} (${num(n)})`)] : null, '.'),
      top.length ? h('div', { class: 'overview-topics' },
        h('h3', { id: 'top-topics-h', text: 'Top topics' }),
        h('ul', { 'aria-labelledby': 'top-topics-h' }, top.map(([p, n]) => h('li', {},
          h('button', { type: 'button', class: 'top-topic', 'data-path': p, title: `Filter by ${p}` },
            topicName(p), h('span', { class: 'n', text: num(n) })))))) : null);
  }
  ui.overview.addEventListener('click', (e) => {
    const b = e.target.closest('.top-topic');
    if (b) toggleTopic(b.dataset.path, true);
  });

  function renderChips() {
    const chips = state.topics.map((t) => h('button', {
      type: 'button', class: 'chip', 'data-path': t, 'aria-label': `Remove topic filter ${topicLabel(t)}`, title: 'Remove filter',
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
    const segment = (p) => p.slice(p.lastIndexOf('/') + 1);
    const branch = (parent) => {
      const all = kids.get(parent) || [];
      // A long level (arXiv's cs has 38 categories) gets a box that narrows it by code or name.
      const needle = all.length > FILTER_OVER ? (topicFilter.get(parent) || '').trim().toLowerCase() : '';
      let list = needle ? all.filter((p) => `${segment(p)} ${labels[p] || ''}`.toLowerCase().includes(needle)) : all;
      const more = !needle && list.length > 8 && !showAll.has(parent) ? list.length - 8 : 0;
      if (more) list = list.slice(0, 8);
      const items = list.map((p) => {
        const has = kids.has(p), open = has && expanded.has(p), active = state.topics.includes(p);
        const name = labels[p] || segment(p);
        return h('li', {},
          h('div', { class: 'node' },
            has ? h('button', { type: 'button', class: 'twisty', 'data-path': p, 'aria-expanded': String(open), 'aria-label': `${open ? 'Collapse' : 'Expand'} ${name}` })
              : h('span', { class: 'twisty-pad' }),
            h('button', { type: 'button', class: 'facet', 'data-path': p, 'aria-pressed': String(active), title: labels[p] ? `${labels[p]} (${p})` : p },
              topicName(p, segment(p)), h('span', { class: 'n', text: String(counts[p]) }))),
          open ? h('ul', {}, branch(p)) : null);
      });
      if (all.length > FILTER_OVER) {
        const under = parent ? labels[parent] || segment(parent) : 'all';
        items.unshift(h('li', { class: 'filter-row' }, h('input', {
          type: 'search', class: 'topic-filter', 'data-parent': parent, value: topicFilter.get(parent) || '',
          placeholder: `Filter ${all.length} topics`, 'aria-label': `Filter the ${all.length} topics under ${under}`, autocomplete: 'off', spellcheck: 'false',
        })));
        if (needle && !list.length) items.push(h('li', { class: 'muted', text: 'No topic matches' }));
      }
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
  ui.topics.addEventListener('input', (e) => {
    const box = e.target.closest('.topic-filter');
    if (!box) return;
    const parent = box.dataset.parent, at = box.selectionStart;
    topicFilter.set(parent, box.value);
    renderTopics(); // the box is drawn anew: keep typing in it
    const again = ui.topics.querySelector(`.topic-filter[data-parent="${CSS.escape(parent)}"]`);
    if (again) { again.focus(); again.setSelectionRange(at, at); }
  });
  ui.topics.addEventListener('keydown', (e) => {
    const box = e.target.closest('.topic-filter');
    if (!box) return;
    if (e.key === 'Escape' && box.value) { e.preventDefault(); e.stopPropagation(); box.value = ''; box.dispatchEvent(new Event('input', { bubbles: true })); }
    else if (e.key === 'ArrowDown') { // on to the topics it leaves
      const first = box.closest('li').parentElement.querySelector(':scope > li > .node > .facet');
      if (first) { e.preventDefault(); first.focus(); }
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
    // Month names under the bars, as many as fit: every month, or every 3rd or 6th (January
    // always, with its year below); the tooltip and aria-label keep the full name.
    let span = 0;
    for (let i = 1; i < months.length; i++) {
      const gap = monthIndex(months[i][0]) - monthIndex(months[i - 1][0]);
      span += gap <= 4 ? gap : 1;
    }
    const width = (ui.bars.clientWidth || 700) / (span + 1);
    const every = width >= 24 ? 1 : width >= 12 ? 3 : width >= 7 ? 6 : 12;
    const cols = [];
    let prev = null, labelNext = true;
    const col = (m, n) => {
      const [y, mo] = m.split('-'), name = `${MONTHS[+mo - 1]} ${y}`;
      const label = labelNext || mo === '01' ? y : '';
      const month = (+mo - 1) % every === 0 ? MONTHS[+mo - 1].slice(0, 3) : '';
      labelNext = false;
      const inRange = ranged && m >= lo && m <= hi;
      const tip = `${name}: ${n} ${n === 1 ? 'paper' : 'papers'}`;
      const bar = n > 0
        ? h('button', { type: 'button', class: 'bar' + (inRange ? ' sel' : ''), 'data-month': m, title: tip, 'aria-label': tip, 'aria-pressed': String(inRange) },
          h('span', { class: 'fill', height: `${Math.max(3, (n / max) * 100).toFixed(1)}%` }))
        : h('span', { class: 'bar-empty', title: tip });
      cols.push(h('div', { class: 'hcol' + (ranged && !inRange ? ' dim' : '') }, bar,
        h('span', { class: 'hmonth', 'aria-hidden': 'true', text: month }), h('span', { class: 'hlabel', 'aria-hidden': 'true', text: label })));
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
  // Opening a paper pushes a history entry ({detail: depth}), so Back closes it; Close and Esc
  // go back over the papers opened in a row, so either way the history is the same.
  let opener = null, detailSeq = 0, detailId = null;
  async function openDetail(id, from, mode = 'detail') { // mode 'none': the URL already says so
    if (from) opener = from;
    state.paper = detailId = id;
    if (mode !== 'none') commit(mode);
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
        state.paper = detailId = p.id;
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
    const url = safeURL(p.url), pdf = pdfURL(p.arxiv_id || p.id);
    const row = (k, v) => (v ? [h('dt', { text: k }), h('dd', {}, v)] : []);
    const link = (href, text, cls) => h('a', { href, target: '_blank', rel: 'noopener', class: cls, text });
    const doi = p.doi ? link(`https://doi.org/${p.doi.replace(/^https?:\/\/(dx\.)?doi\.org\//, '')}`, p.doi) : null;
    ui.detailBody.replaceChildren(h('div', {},
      h('h2', { id: 'detail-title', tabindex: '-1' }, url ? link(url, p.title || p.id) : (p.title || p.id)),
      h('p', { class: 'meta' }, p.date ? h('time', { datetime: p.date, text: p.date }) : h('span', { class: 'muted', text: 'undated' }),
        url ? link(url, pdf ? 'abstract ↗' : 'source ↗', 'ext') : null, pdf ? link(pdf, 'PDF ↗', 'ext pdf') : null,
        h('span', { class: 'pid' }, copyButton('id', p.id, p.id, `Copy id ${p.id}`),
          copyButton('bibtex', p.id, 'Copy BibTeX', `Copy the BibTeX entry of ${p.id}`))),
      p.authors && p.authors.length ? h('p', { class: 'detail-authors' }, authorLinks(p.authors)) : null,
      tagList(p.topics),
      h('div', { class: 'abstract' }, ...(p.abstract || 'No abstract.').split(/\n\s*\n/).map((t) => h('p', { text: t }))),
      h('dl', { class: 'facts' },
        row('Link', url && link(url, url)), row('PDF', pdf && link(pdf, pdf, 'pdf')), row('DOI', doi), row('Journal', p.journal_ref),
        row('Comment', p.comment),
        row('Sources', (p.sources || []).length ? h('ul', { class: 'sources' }, p.sources.map((s) => h('li', {},
          h('code', { text: `${s.file}:${s.line}` }), ' ', h('span', { class: 'muted', text: `(${s.format})` })))) : null))));
  }
  function hideDetail() {
    if (ui.detail.hidden) return;
    ++detailSeq;
    ui.detail.hidden = true;
    document.body.classList.remove('detail-open');
    state.paper = detailId = null;
    if (opener && opener.isConnected) opener.focus();
    opener = null;
  }
  // Close button and Esc: back out of the entry that opened the paper; a page loaded with
  // ?paper= has none, so its address just loses the paper.
  function closeDetail() {
    if (ui.detail.hidden) return;
    const deep = history.state && history.state.detail;
    hideDetail();
    if (deep > 0) history.go(-deep); else commit('replace');
  }
  ui.detailClose.addEventListener('click', closeDetail);
  ui.detail.addEventListener('click', (e) => {
    const s = e.target.closest('.similar');
    if (s) openDetail(s.dataset.id);
    const t = e.target.closest('.tag');
    if (t) { hideDetail(); toggleTopic(t.dataset.path, true); } // a new entry, after the paper's
  });

  // ---- authors and copy buttons, in the results and the detail panel
  document.addEventListener('click', (e) => {
    const a = e.target.closest('a.author');
    if (a) {
      if (e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return; // let the browser open it
      e.preventDefault();
      hideDetail(); // a new entry after the paper's: Back returns to it
      state.q = new URL(a.href).searchParams.get('q') || '';
      update();
      return;
    }
    const c = e.target.closest('.copy');
    if (c) { e.preventDefault(); copy(c); }
  });
  async function getText(url) {
    const r = await fetch(url);
    const body = await r.text();
    if (r.ok) return body;
    let msg = `HTTP ${r.status} ${r.statusText}`;
    try { msg = JSON.parse(body).error.message || msg; } catch (_) { /* not our JSON error */ }
    throw new Error(msg);
  }
  // The async Clipboard API, else a selected textarea and execCommand (plain http on another
  // host name than localhost, older browsers, or a refused permission).
  async function copyText(text) {
    if (navigator.clipboard && navigator.clipboard.writeText) {
      try { await navigator.clipboard.writeText(text); return true; } catch (_) { /* refused: the old way */ }
    }
    const back = document.activeElement, ta = h('textarea', { class: 'offscreen', readonly: true, 'aria-hidden': 'true', tabindex: '-1' });
    ta.value = text;
    document.body.append(ta);
    ta.select();
    let ok = false;
    try { ok = document.execCommand('copy'); } catch (_) { ok = false; }
    ta.remove();
    if (back && back.focus) back.focus();
    return ok;
  }
  async function copy(btn) {
    const id = btn.dataset.id, bib = btn.dataset.copy === 'bibtex';
    try {
      const text = bib ? await getText(`api/papers/${encodeURIComponent(id)}/cite?format=bibtex`) : id;
      flash(btn, (await copyText(text)) ? 'Copied' : 'Copy failed', bib ? `the BibTeX entry of ${id}` : id);
    } catch (e) {
      flash(btn, 'No BibTeX', e.message);
    }
  }
  // The button says what happened for a moment; a live region says it to screen readers.
  function flash(btn, word, what) {
    if (!btn.dataset.text) btn.dataset.text = btn.textContent;
    btn.textContent = word;
    btn.classList.add('done');
    ui.announce.textContent = `${word}: ${what}`;
    clearTimeout(btn.flashTimer);
    btn.flashTimer = setTimeout(() => { btn.textContent = btn.dataset.text; btn.classList.remove('done'); }, 1600);
  }

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
    if (last && ui.q.value !== state.q) setPending(true);
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
    const before = apiURL();
    readURL(); syncControls();
    if (!last || apiURL() !== before) search(); else render(); // Back from a paper: same results
    if (!state.paper) hideDetail();
    else if (ui.detail.hidden || state.paper !== detailId) openDetail(state.paper, null, 'none');
  });
  let resizeTimer = 0; // month names fit the new width
  window.addEventListener('resize', () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => last && renderHistogram(dateFacets), 150);
  });

  // ---- start
  readURL(); syncControls(); search(); loadSummary();
  if (state.paper) openDetail(state.paper, null, 'none'); else ui.q.focus();
})();
