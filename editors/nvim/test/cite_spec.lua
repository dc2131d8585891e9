-- Headless test of :PaperCite and the live picker, typed as a user types (nvim_input goes
-- through the real input path: mappings, the prompt buffer, insert mode).
--
--   PAPERDEX_BIN=... PAPERDEX_TEST_INDEX=... PAPERDEX_TEST_WORK=dir PAPERDEX_TEST_OUT=out.json \
--   nvim --headless -u NONE -i NONE --cmd "set rtp+=editors/nvim" -c "luafile editors/nvim/test/cite_spec.lua"
--
-- PAPERDEX_TEST_WORK holds paper.tex, notes.md, doc.typ and draft.txt (written by
-- tests/nvim.rs); the spec cites into them and writes them back, so the Rust side checks the
-- documents and the .bib files on disk. Typed keys are only read while the editor waits for
-- input, so the steps run in a coroutine that yields to the main loop between checks.
-- Reports picker snapshots and notifications as JSON to PAPERDEX_TEST_OUT; exits non-zero
-- on a failed check or a timeout.

local api = vim.api
local report = { notes = {}, picker = {} }
local co

local function write_report()
  local f = assert(io.open(assert(os.getenv("PAPERDEX_TEST_OUT"), "PAPERDEX_TEST_OUT unset"), "w"))
  f:write(vim.fn.json_encode(report))
  f:close()
end

local function resume()
  local ok, err = coroutine.resume(co)
  if not ok then
    report.error = tostring(err)
    pcall(write_report)
    io.stderr:write("cite_spec.lua: " .. tostring(err) .. "\n")
    vim.cmd("cquit 1")
  elseif coroutine.status(co) == "dead" then
    write_report()
    vim.cmd("qa!")
  end
end

-- Yields to the main loop (typed keys, server answers) until cond() is true.
local function wait_for(what, cond)
  local deadline = vim.loop.now() + 10000
  while true do
    local ok, v = pcall(cond)
    if ok and v then
      return v
    end
    if vim.loop.now() > deadline then
      error(debug.traceback("timed out after 10 s waiting for " .. what .. (ok and "" or ": " .. tostring(v)), 2))
    end
    vim.defer_fn(resume, 20)
    coroutine.yield()
  end
end

local function check(ok, msg)
  if not ok then
    error(debug.traceback("check failed: " .. msg, 2))
  end
end

local paperdex

-- <C-c> sent with nvim_input interrupts (leaves insert mode) before mappings see it in a
-- headless Neovim; a terminal's Ctrl-C reaches the mapping, as typeahead does.
local function ctrl_c()
  api.nvim_feedkeys(api.nvim_replace_termcodes("<C-c>", true, false, true), "t", false)
end

-- Types keys and waits until the picker's rows answer `query` (the prompt's text).
local function typed(keys, query)
  api.nvim_input(keys)
  return wait_for(("the rows for %q"):format(query), function()
    local p = paperdex._picker()
    return p and p.query == query and p.answered == p.seq and p
  end)
end

local function snapshot(label, p)
  local item = {
    label = label,
    query = p.query,
    rows = api.nvim_buf_get_lines(p.list_buf, 0, -1, false),
    sel = p.sel,
    ids = vim.tbl_map(function(h)
      return h.id
    end, p.hits),
    total = p.total,
    status = p.status,
  }
  table.insert(report.picker, item)
  return item
end

local doc -- the document being cited into (the picker's prompt is current while it is open)
local function line(n)
  return api.nvim_buf_get_lines(doc, n - 1, n, false)[1]
end

local function edit(path)
  vim.cmd("edit " .. vim.fn.fnameescape(path))
  doc = api.nvim_get_current_buf()
end

local function main()
  local bin = assert(os.getenv("PAPERDEX_BIN"), "PAPERDEX_BIN unset")
  local index = assert(os.getenv("PAPERDEX_TEST_INDEX"), "PAPERDEX_TEST_INDEX unset")
  local work = assert(os.getenv("PAPERDEX_TEST_WORK"), "PAPERDEX_TEST_WORK unset")

  vim.cmd("runtime! plugin/paperdex.lua")
  check(vim.fn.exists(":PaperCite") == 2, ":PaperCite is defined")
  vim.notify = function(msg, level)
    table.insert(report.notes, { msg = msg, level = level or vim.log.levels.INFO })
  end
  paperdex = require("paperdex")
  -- picker "auto": no Telescope or fzf-lua under -u NONE, so the plugin's own float
  paperdex.setup({ cmd = { bin, "stdio" }, index = index, limit = 5 })

  -- 1. TeX: a new \cite{} after the cursor, typed into the live picker.
  edit(work .. "/paper.tex")
  api.nvim_input("3G$:PaperCite<CR>")
  local p = typed("sparse", "sparse")
  snapshot("sparse", p)
  check(api.nvim_get_mode().mode == "i", "the prompt is in insert mode")
  p = typed(" attention", "sparse attention")
  snapshot("sparse attention", p)
  -- An answer that arrives after a newer search was sent is dropped: hold back the answer to
  -- the next search (for "sparse attention z..."), go back to "sparse attention", and let
  -- the old answer in last.
  local request, held = paperdex.request, nil
  paperdex.request = function(method, params, cb)
    if method == "search" and not held then
      held = false
      return request(method, params, function(err, res)
        held = function()
          cb(err, res)
        end
      end)
    end
    return request(method, params, cb)
  end
  api.nvim_input(" zzz")
  wait_for("the held answer", function()
    return held
  end)
  local seq = p.seq
  typed("<BS><BS><BS><BS>", "sparse attention")
  check(p.seq > seq, "a newer search was sent")
  local rows_before = api.nvim_buf_get_lines(p.list_buf, 0, -1, false)
  held()
  paperdex.request = request
  check(p.query == "sparse attention", "the late answer did not replace the rows: " .. tostring(p.query))
  check(vim.deep_equal(api.nvim_buf_get_lines(p.list_buf, 0, -1, false), rows_before), "rows unchanged by the late answer")
  report.stale_dropped = true
  -- the selection moves, the preview follows it with the whole abstract (from `get`)
  api.nvim_input("<Down><Down>")
  wait_for("the preview of the third hit", function()
    return p.sel == 3 and p.previewed == p.hits[3].id
  end)
  report.preview = { id = p.hits[3].id, lines = api.nvim_buf_get_lines(p.preview_buf, 0, -1, false) }
  -- moving past the last row fetches the next page and selects its first row
  api.nvim_input("<Down><Down><Down>")
  wait_for("the second page", function()
    return #p.hits > 5 and p.sel == 6 and p.answered == p.seq
  end)
  snapshot("more", p)
  report.tex_pick = p.hits[6].id
  api.nvim_input("<CR>")
  wait_for("the \\cite on line 3", function()
    return paperdex._picker() == nil and line(3) ~= "Sparse attention~"
  end)
  report.tex_new = line(3)

  -- 2. TeX: the cursor is on the `}` just inserted: the next key goes inside.
  api.nvim_input(":PaperCite MoBA<CR>")
  p = typed("", "MoBA")
  report.moba = p.hits[1].id
  api.nvim_input("<CR>")
  wait_for("the key appended on line 3", function()
    return line(3) ~= report.tex_new
  end)
  report.tex_append = line(3)

  -- 3. TeX: inside a hand-written \citep[see][]{foo}; <C-c> cites and keeps the picker
  -- open, so a second paper goes in the same braces; MoBA's entry is not written twice.
  api.nvim_input("<Esc>4G0f{l:PaperCite XAttention<CR>")
  p = typed("", "XAttention")
  report.xattention = p.hits[1].id
  ctrl_c()
  wait_for("XAttention inside \\citep", function()
    return line(4):find("{foo,", 1, true)
  end)
  check(paperdex._picker() == p, "<C-c> keeps the picker open")
  p = typed("<C-u>MoBA", "MoBA")
  ctrl_c()
  wait_for("MoBA inside \\citep", function()
    return select(2, line(4):gsub(",", "")) == 2
  end)
  api.nvim_input("<Esc>")
  wait_for("the picker to close", function()
    return paperdex._picker() == nil and api.nvim_get_mode().mode == "n"
  end)
  vim.cmd("write")

  -- 3b. A chapter names no bibliography; its `%!TEX root` does.
  edit(work .. "/chapters/intro.tex")
  api.nvim_input("2G$:PaperCite MoBA<CR>")
  typed("", "MoBA")
  api.nvim_input("<CR>")
  wait_for("\\cite in the chapter", function()
    return line(2):find("\\cite{", 1, true)
  end)
  vim.cmd("write")

  -- 4. Markdown with a bibliography list in its front matter: [@key], then ; @key inside it.
  edit(work .. "/notes.md")
  api.nvim_input("G$:PaperCite MoBA<CR>")
  typed("", "MoBA")
  api.nvim_input("<CR>")
  wait_for("[@key] in notes.md", function()
    return line(8):find("[@", 1, true)
  end)
  api.nvim_input(":PaperCite XAttention<CR>")
  typed("", "XAttention")
  api.nvim_input("<CR>")
  wait_for("; @key in notes.md", function()
    return line(8):find("; @", 1, true)
  end)
  vim.cmd("write")

  -- 5. Typst: @key, into the file #bibliography("...") names.
  edit(work .. "/doc.typ")
  api.nvim_input("2G$:PaperCite XAttention<CR>")
  typed("", "XAttention")
  api.nvim_input("<CR>")
  wait_for("@key in doc.typ", function()
    return line(2):find("@", 1, true)
  end)
  -- From Insert mode (an imap to <Cmd>PaperCite<CR>): the key goes at the cursor and the
  -- typing goes on after it.
  vim.cmd("inoremap <C-x>c <Cmd>PaperCite<CR>")
  local before = line(2)
  api.nvim_input("A and<C-x>c")
  typed("MoBA", "MoBA")
  api.nvim_input("<CR>")
  wait_for("the key typed from Insert mode", function()
    return line(2) ~= before .. " and"
  end)
  check(api.nvim_get_mode().mode == "i", "back in Insert mode")
  api.nvim_input(" too<Esc>")
  wait_for("the typing after it", function()
    return api.nvim_get_mode().mode == "n" and line(2):find("too$")
  end)
  vim.cmd("write")

  -- 6. The filetype (quarto) rather than the extension, and the configured bibliography
  -- for a document that names none.
  paperdex.setup({ cmd = { bin, "stdio" }, index = index, limit = 5, bibliography = "configured.bib" })
  edit(work .. "/draft.txt")
  vim.bo.filetype = "quarto"
  api.nvim_input("G$:PaperCite MoBA<CR>")
  typed("", "MoBA")
  api.nvim_input("<CR>")
  wait_for("[@key] in draft.txt", function()
    return line(1):find("[@", 1, true)
  end)
  vim.cmd("write")
  paperdex.stop()

  -- 6b. The other ways a document names its bibliography, and the cursor cases of the
  -- insertion, without the picker.
  paperdex.setup({ cmd = { bin, "stdio" }, index = index })
  local named = {
    { "a.tex", { "% \\bibliography{old}", "\\addbibresource[backend=biber]{lib/main.bib}" }, "lib/main.bib" },
    { "b.tex", { "\\bibliography{ refs , more }" }, "refs.bib" },
    { "c.md", { "---", 'bibliography: "my refs.bib"  # comment', "---" }, "my refs.bib" },
    { "d.qmd", { "---", "bibliography: ['x.bib', y.bib]", "---" }, "x.bib" },
    { "e.md", { "Text", "bibliography: no.bib" }, nil }, -- not front matter
    { "f.typ", { '#bibliography(("a.bib", "b.bib"), style: "apa")' }, "a.bib" },
    { "g.txt", { "bibliography: no.bib" }, nil },
  }
  for _, case in ipairs(named) do
    local buf = api.nvim_create_buf(true, false)
    api.nvim_buf_set_name(buf, work .. "/named/" .. case[1])
    api.nvim_buf_set_lines(buf, 0, -1, false, case[2])
    local got = paperdex.bibliography(buf)
    local want = case[3] and vim.fn.fnamemodify(work .. "/named/" .. case[3], ":p") or nil
    check(got == want, ("%s: bibliography %s, want %s"):format(case[1], tostring(got), tostring(want)))
  end
  local into = {
    -- style, line, cursor col (0-based), insert mode, want line, want cursor col
    { "tex", "see \\citet*{a, b} now", 9, false, "see \\citet*{a, b,k} now", 18 },
    { "tex", "see \\autocite{} now", 14, false, "see \\autocite{k} now", 15 },
    { "tex", "see \\cite{a} now", 12, false, "see \\cite{a,k} now", 13 }, -- just after the }
    { "tex", "x \\ref{a}", 8, false, "x \\ref{a}\\cite{k}", 16 },
    { "tex", "", 0, false, "\\cite{k}", 7 },
    { "tex", "ab", 0, true, "\\cite{k}ab", 8 },
    { "pandoc", "word", 3, false, "word [@k]", 8 },
    { "pandoc", "see [@a, p. 3] now", 6, false, "see [@a, p. 3; @k] now", 17 },
    { "pandoc", "é", 0, false, "é [@k]", 6 },
    { "typst", "(", 0, false, "(@k", 2 },
  }
  for _, case in ipairs(into) do
    local line_, col = paperdex.cite_into(case[1], case[2], case[3], "k", case[4])
    check(line_ == case[5] and col == case[6], ("%s %q @%d: %q @%s"):format(case[1], case[2], case[3], tostring(line_), tostring(col)))
  end
  check(paperdex.cite_into("tex", "\\cite{k}", 3, "k") == nil, "no key twice in one \\cite")

  -- 7. :help paperdex, from tags built as `:helptags` does for an installed plugin (in a
  -- copy, so the test leaves no tags file in the repository); E154 on a duplicate tag.
  local help_src = assert(api.nvim_get_runtime_file("doc/paperdex.txt", false)[1], "doc/paperdex.txt on the runtimepath")
  local rt = vim.fn.tempname()
  vim.fn.mkdir(rt .. "/doc", "p")
  vim.fn.writefile(vim.fn.readfile(help_src), rt .. "/doc/paperdex.txt")
  vim.cmd("helptags " .. vim.fn.fnameescape(rt .. "/doc"))
  vim.opt.runtimepath:prepend(rt)
  report.help = {}
  for _, topic in ipairs({ "paperdex", ":PaperCite", "paperdex-bibliography", "paperdex-float" }) do
    vim.cmd("help " .. topic)
    check(vim.bo.buftype == "help", ":help " .. topic .. " opens help")
    table.insert(report.help, { topic = topic, file = vim.fn.expand("%:t"), line = api.nvim_get_current_line() })
    vim.cmd("helpclose")
  end
end

co = coroutine.create(main)
vim.schedule(resume)
