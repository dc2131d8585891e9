-- paperdex for Neovim: search a local paperdex index and insert a citation at the cursor.
--
-- Talks JSON-RPC 2.0 to ONE long-lived `paperdex stdio` process (one JSON object per line
-- each way), so each search costs a pipe round trip instead of opening the index again.
-- Written against the Neovim 0.7 API on purpose (Debian's version): no vim.json, no
-- vim.system; JSON goes through vim.fn.json_encode/json_decode.

local api = vim.api
local M = {}

local defaults = {
  cmd = { "paperdex", "stdio" }, -- the server command; `--index DIR` is appended when index is set
  index = nil, -- index directory; nil lets paperdex use PAPERDEX_INDEX or its default
  limit = 10, -- hits per search
  -- "auto": Telescope, else fzf-lua when installed, else "float" (the plugin's own live
  -- picker); "telescope", "fzf", "float", or "select" (vim.ui.select over one search)
  picker = "auto",
  preview = true, -- after inserting from a picker without a preview pane, float the abstract
  notes = true, -- say (vim.notify, INFO) how paperdex read the query: as words, cut short, ...
  -- bibliography file when the document names none: a path (relative to the document's
  -- directory) or function(bufnr) returning one; nil: only what the document names
  bibliography = nil,
}
local config = vim.deepcopy(defaults)

local job = nil -- job id of the running server, nil when none
local next_id = 0 -- request ids stay unique across server restarts
local pending = {} -- request id -> { job = job id, cb = function(err, result) }
local papers = {} -- paper id -> full paper from `get` (abstracts for previews)
local last_id = nil -- paper id of the last inserted citation, for :PaperPreview

local function notify(msg, level)
  vim.notify("paperdex: " .. msg, level or vim.log.levels.ERROR)
end

-- json_decode turns JSON null into vim.NIL, which is truthy in Lua.
local function val(x)
  if x == vim.NIL then
    return nil
  end
  return x
end

local function errmsg(err)
  if type(err) == "table" then
    return tostring(val(err.message) or vim.inspect(err))
  end
  return tostring(err)
end

function M.setup(opts)
  config = vim.tbl_deep_extend("force", vim.deepcopy(defaults), opts or {})
  -- lists must be replaced, not merged index by index
  if opts and opts.cmd then
    config.cmd = vim.deepcopy(opts.cmd)
  end
  -- a running server was started with the old command or index
  M.stop()
end

local function alive(id)
  return id ~= nil and vim.fn.jobwait({ id }, 0)[1] == -1
end

local function dispatch(line)
  local ok, msg = pcall(vim.fn.json_decode, line)
  if not ok or type(msg) ~= "table" then
    return notify("unreadable line from the server: " .. line:sub(1, 200))
  end
  local req = pending[val(msg.id) or false]
  if not req then
    -- e.g. a parse error with id null: nothing of ours to answer
    if val(msg.error) then
      notify(errmsg(msg.error))
    end
    return
  end
  pending[msg.id] = nil
  local cb_ok, cb_err
  if val(msg.error) then
    cb_ok, cb_err = pcall(req.cb, msg.error, nil)
  else
    cb_ok, cb_err = pcall(req.cb, nil, val(msg.result))
  end
  if not cb_ok then
    notify(tostring(cb_err))
  end
end

local function start()
  local cmd = vim.deepcopy(config.cmd)
  if config.index then
    vim.list_extend(cmd, { "--index", vim.fn.expand(config.index) })
  end
  local partial = "" -- on_stdout hands over chunks, not lines: keep the unfinished tail
  local stderr = {} -- last few stderr lines, to explain an unexpected exit
  local id
  local ok, res = pcall(vim.fn.jobstart, cmd, {
    on_stdout = function(_, data)
      data[1] = partial .. data[1]
      partial = table.remove(data)
      for _, line in ipairs(data) do
        if line ~= "" then
          dispatch(line)
        end
      end
    end,
    on_stderr = function(_, data)
      for _, line in ipairs(data) do
        if line ~= "" then
          table.insert(stderr, line)
          if #stderr > 5 then
            table.remove(stderr, 1)
          end
        end
      end
    end,
    on_exit = function(_, code)
      local unexpected = job == id -- M.stop() forgets the job before it ends
      if unexpected then
        job = nil
      end
      local why = ("server exited with code %d"):format(code)
      if #stderr > 0 then
        why = why .. ": " .. table.concat(stderr, " | ")
      end
      local failed = false
      for rid, req in pairs(pending) do
        if req.job == id then
          pending[rid] = nil
          failed = true
          local ok, err = pcall(req.cb, { message = why }, nil)
          if not ok then
            notify(tostring(err))
          end
        end
      end
      -- the callbacks above already told the user; otherwise say it once here
      if unexpected and not failed and code ~= 0 then
        notify(why .. " (the next search starts it again)", vim.log.levels.WARN)
      end
    end,
  })
  if not ok or res <= 0 then
    return nil, ("cannot start `%s`: %s"):format(table.concat(cmd, " "), ok and "not executable" or res)
  end
  id = res
  job = id
  papers = {} -- the index may have been rebuilt since the last server
  return id
end

--- Sends one request; cb(err, result) runs on the main loop when the answer (or the
--- server's death) arrives. err is the JSON-RPC error object or { message = ... }.
function M.request(method, params, cb)
  if not alive(job) then
    local _, err = start()
    if err then
      return cb({ message = err }, nil)
    end
  end
  next_id = next_id + 1
  local msg = { jsonrpc = "2.0", id = next_id, method = method }
  -- an empty Lua table would be encoded as [] and rejected as params
  if params and next(params) ~= nil then
    msg.params = params
  end
  local rid = next_id
  pending[rid] = { job = job, cb = cb }
  -- the server can die between the liveness check and the write
  local ok, err = pcall(vim.fn.chansend, job, vim.fn.json_encode(msg) .. "\n")
  if not ok or err == 0 then
    pending[rid] = nil
    cb({ message = "cannot write to the server: " .. tostring(err) }, nil)
  end
end

function M._job_id()
  return job
end

--- Stops the server: a polite `shutdown`, then a kill if it lingers.
function M.stop()
  local id = job
  if not alive(id) then
    job = nil
    return
  end
  M.request("shutdown", nil, function() end)
  job = nil -- the next search starts a fresh server
  vim.defer_fn(function()
    if alive(id) then
      vim.fn.jobstop(id)
    end
  end, 1000)
end

local function year(p)
  return type(val(p.date)) == "string" and p.date:match("^(%d%d%d%d)") or nil
end

local function arxiv_id(id)
  -- new style 2502.00511(v2) or old style hep-th/9901001, math.GT/0309136
  if id:match("^%d%d%d%d%.%d%d%d%d%d?v?%d*$") or id:match("^[%a%-]+%.?%a*/%d%d%d%d%d%d%dv?%d*$") then
    return id
  end
end

--- "Title — Year — first author", the picker line.
function M.format_item(hit)
  local parts = { vim.trim((hit.title:gsub("%s+", " "))) }
  local first_author = (val(hit.authors) or {})[1]
  if year(hit) then
    table.insert(parts, year(hit))
  end
  if first_author then
    table.insert(parts, first_author)
  end
  return table.concat(parts, " — ")
end

--- Title. Authors (3, then "et al."). Year. arXiv:ID https://arxiv.org/abs/ID
--- Non-arXiv papers end with their URL, or their paperdex id when they have none.
function M.citation(p)
  local title = vim.trim((p.title:gsub("%s+", " ")))
  if not title:match("[%.%?!]$") then
    title = title .. "."
  end
  local parts = { title }
  local authors = val(p.authors) or {}
  if #authors > 0 then
    local names = table.concat(vim.list_slice(authors, 1, 3), ", ")
    table.insert(parts, names .. (#authors > 3 and " et al." or "."))
  end
  if year(p) then
    table.insert(parts, year(p) .. ".")
  end
  local ax = arxiv_id(p.id)
  if ax then
    table.insert(parts, ("arXiv:%s https://arxiv.org/abs/%s"):format(ax, ax))
  else
    table.insert(parts, val(p.url) or p.id)
  end
  return table.concat(parts, " ")
end

local function paper_lines(p)
  local lines = { vim.trim((p.title:gsub("%s+", " "))) }
  local authors = val(p.authors) or {}
  if #authors > 0 then
    table.insert(lines, table.concat(authors, ", "))
  end
  local meta = { val(p.date) or "undated", p.id }
  vim.list_extend(meta, val(p.topics) or {})
  table.insert(lines, table.concat(meta, " · "))
  table.insert(lines, "")
  -- buffer lines must not contain newlines; paragraphs stay separate lines
  for para in (val(p.abstract) or val(p.snippet) or ""):gmatch("[^\n]+") do
    table.insert(lines, para)
  end
  return lines
end

-- The full paper for a hit, fetched once and cached.
local function fetch(id, cb)
  if papers[id] then
    return cb(nil, papers[id])
  end
  M.request("get", { id = id }, function(err, paper)
    if paper then
      papers[id] = paper
    end
    cb(err, paper)
  end)
end

local preview_win = nil

local function close_preview()
  if preview_win and api.nvim_win_is_valid(preview_win) then
    api.nvim_win_close(preview_win, true)
  end
  preview_win = nil
end

-- Screen rows from the cursor to just below its line: a long citation wraps, and the
-- float must not hide its end.
local function rows_below_cursor()
  if not vim.wo.wrap then
    return 1
  end
  local info = vim.fn.getwininfo(api.nvim_get_current_win())[1] or {}
  local width = math.max(1, api.nvim_win_get_width(0) - (info.textoff or 0))
  local line = api.nvim_get_current_line()
  local col = api.nvim_win_get_cursor(0)[2]
  local total = math.max(1, math.ceil(vim.fn.strdisplaywidth(line) / width))
  return total - math.floor(vim.fn.strdisplaywidth(line:sub(1, col)) / width)
end

-- A wrapped float below the cursor; it goes away once the cursor moves or insert starts.
local function open_preview(lines)
  close_preview()
  local width = math.min(80, vim.o.columns - 4)
  local height = 0
  for _, l in ipairs(lines) do
    height = height + math.max(1, math.ceil(vim.fn.strdisplaywidth(l) / width))
  end
  height = math.max(1, math.min(height, math.floor(vim.o.lines / 2)))
  local buf = api.nvim_create_buf(false, true)
  api.nvim_buf_set_lines(buf, 0, -1, false, lines)
  vim.bo[buf].modifiable = false
  vim.bo[buf].bufhidden = "wipe"
  local win = api.nvim_open_win(buf, false, {
    relative = "cursor",
    row = rows_below_cursor(),
    col = 0,
    width = width,
    height = height,
    style = "minimal",
    border = "rounded",
  })
  vim.wo[win].wrap = true
  vim.wo[win].linebreak = true
  preview_win = win
  for _, key in ipairs({ "q", "<Esc>" }) do
    vim.keymap.set("n", key, close_preview, { buffer = buf, nowait = true })
  end
  -- CursorMoved can still fire for a move made before the float opened: compare positions
  local origin_buf, pos = api.nvim_get_current_buf(), api.nvim_win_get_cursor(0)
  local group = api.nvim_create_augroup("paperdex_preview", { clear = true })
  api.nvim_create_autocmd({ "CursorMoved", "CursorMovedI", "InsertEnter", "BufHidden" }, {
    group = group,
    buffer = origin_buf,
    callback = function(ev)
      local cur = api.nvim_win_get_cursor(0)
      if ev.event == "CursorMoved" and cur[1] == pos[1] and cur[2] == pos[2] then
        return
      end
      close_preview()
      api.nvim_clear_autocmds({ group = group })
    end,
  })
  return win
end

--- Floats the abstract of a paper. Without an id: the arXiv id or paperdex id on the
--- current line (a citation), else the last inserted paper. A second call enters the float.
function M.preview(id)
  if (id == nil or id == "") and preview_win and api.nvim_win_is_valid(preview_win) then
    return api.nvim_set_current_win(preview_win)
  end
  if id == nil or id == "" then
    local line = api.nvim_get_current_line()
    id = line:match("arXiv:(%S+)") or line:match("(t:%x+)%s*$") or last_id
  end
  if not id then
    return notify("no paper id here; give one: :PaperPreview ID", vim.log.levels.WARN)
  end
  fetch(id, function(err, paper)
    if err then
      return notify(errmsg(err))
    end
    open_preview(paper_lines(paper))
  end)
end

function M._preview_win()
  return preview_win
end

local function insert_citation(target, line)
  local buf, win = target.buf, target.win
  if not api.nvim_buf_is_valid(buf) then
    buf, win = api.nvim_get_current_buf(), api.nvim_get_current_win()
  end
  if not (api.nvim_win_is_valid(win) and api.nvim_win_get_buf(win) == buf) then
    win = vim.fn.bufwinid(buf)
  end
  local row = win > 0 and api.nvim_win_get_cursor(win)[1] or api.nvim_buf_line_count(buf)
  local current = api.nvim_buf_get_lines(buf, row - 1, row, false)[1] or ""
  -- an empty line is taken over; otherwise the citation goes on its own line below
  local first = current:match("^%s*$") and row - 1 or row
  local ok, err = pcall(api.nvim_buf_set_lines, buf, first, row, false, { line })
  if not ok then -- e.g. 'nomodifiable'
    return false, err
  end
  if win > 0 then
    api.nvim_win_set_cursor(win, { first + 1, 0 })
  end
  return true
end

---------------------------------------------------------------------------------------------
-- Citations by filetype: a cite key where the document has a bibliography, a reference line
-- elsewhere (a prose line inside LaTeX would be compiled into the document).

local ft_styles = {
  tex = "tex", plaintex = "tex", latex = "tex", context = "tex",
  markdown = "pandoc", pandoc = "pandoc", quarto = "pandoc", rmd = "pandoc", rmarkdown = "pandoc",
  typst = "typst",
}
-- for buffers without a detected filetype (`nvim -u NONE`, a new unsaved name)
local ext_styles = {
  tex = "tex", ltx = "tex", latex = "tex",
  md = "pandoc", markdown = "pandoc", pandoc = "pandoc", qmd = "pandoc", rmd = "pandoc",
  typ = "typst",
}

--- "tex", "pandoc", "typst" or "text": what a citation looks like in buffer buf.
function M.style(buf)
  buf = buf or 0
  -- compound filetypes ("markdown.pandoc"): the first part we know
  for part in vim.bo[buf].filetype:gmatch("[^.]+") do
    if ft_styles[part:lower()] then
      return ft_styles[part:lower()]
    end
  end
  local ext = vim.fn.fnamemodify(api.nvim_buf_get_name(buf), ":e"):lower()
  return ext_styles[ext] or "text"
end

-- The cite command whose braces hold byte col (0-based) of line, or a `}` just left of it:
-- returns the byte index (1-based) of its `}` and the keys already in it.
local function tex_cite_at(line, col)
  local pos = 1
  while true do
    local s, e, name = line:find("\\(%a+)", pos)
    if not s then
      return nil
    end
    pos = e + 1
    -- \cite \citep \citet \autocite \parencite \textcite \footcite \citealp ...
    if name:lower():find("cite", 1, true) then
      local i = e + 1
      if line:sub(i, i) == "*" then
        i = i + 1
      end
      -- up to two optional arguments: \citep[see][p. 3]{key}
      for _ = 1, 2 do
        local _, oe = line:find("^%s*%b[]", i)
        if not oe then
          break
        end
        i = oe + 1
      end
      local bs, be = line:find("^%s*%b{}", i)
      if bs then
        -- the cursor anywhere from the backslash to the closing brace (or just after it)
        if col + 1 >= s and col + 1 <= be + 1 then
          local inner = line:sub(line:find("{", bs, true) + 1, be - 1)
          local keys = {}
          for k in inner:gmatch("[^,%s]+") do
            table.insert(keys, k)
          end
          return be, keys
        end
        pos = be + 1
      end
    end
  end
end

-- A Pandoc citation bracket `[@a; @b]` around byte col (0-based): its `]` index, its keys.
local function pandoc_cite_at(line, col)
  local pos = 1
  while true do
    local s, e = line:find("%b[]", pos)
    if not s then
      return nil
    end
    local inner = line:sub(s + 1, e - 1)
    if col + 1 >= s and col + 1 <= e + 1 and inner:find("@", 1, true) and not inner:find("[%[%]]") then
      local keys = {}
      for k in inner:gmatch("@([%w_:%.#$%%&%-+?<>~/]+)") do
        table.insert(keys, (k:gsub("[%.:]$", "")))
      end
      return e, keys
    end
    pos = s + 1
  end
end

local function contains(list, x)
  for _, v in ipairs(list) do
    if v == x then
      return true
    end
  end
  return false
end

--- The text to put in line (cursor at byte col, 0-based) to cite key in the given style:
--- returns the new line and the byte col (0-based) to leave the cursor on (on the last
--- character inserted; just after it with insert = true, the cursor of Insert mode, which
--- sits between characters), or nil when the key is already cited right there.
function M.cite_into(style, line, col, key, insert)
  local after = insert and 1 or 0
  if style == "tex" then
    local close, keys = tex_cite_at(line, col)
    if close then
      if contains(keys, key) then
        return nil
      end
      local add = (#keys > 0 and "," or "") .. key
      -- "{ }" holds no key: replace the blank
      local before = #keys > 0 and line:sub(1, close - 1) or line:sub(1, close - 1):gsub("%s*$", "")
      return before .. add .. line:sub(close), #before + #add + after
    end
  elseif style == "pandoc" then
    local close, keys = pandoc_cite_at(line, col)
    if close then
      if contains(keys, key) then
        return nil
      end
      local before = line:sub(1, close - 1)
      local add = "; @" .. key
      return before .. add .. line:sub(close), #before + #add + after
    end
  end
  local text = ({ tex = "\\cite{%s}", pandoc = "[@%s]", typst = "@%s" })[style]:format(key)
  -- after the cursor character, as `a` would; at the start of an empty line; in Insert
  -- mode at the cursor
  local at = insert and math.min(#line, col) or 0
  if line ~= "" and not insert then
    at = math.min(#line, col + 1)
    while at < #line and line:byte(at + 1) >= 0x80 and line:byte(at + 1) < 0xC0 do
      at = at + 1 -- the rest of a multibyte character
    end
  end
  local prev = line:sub(at, at)
  if style ~= "tex" and prev:match("[%w%.,;:!?\128-\255]") then -- (a multibyte letter too)
    text = " " .. text -- `word [@key]`, `word @key`: not glued to the word
  end
  return line:sub(1, at) .. text .. line:sub(at + 1), at + #text - 1 + after
end

---------------------------------------------------------------------------------------------
-- The document's bibliography file.

local function unquote(s)
  s = vim.trim(s or "")
  local q = s:match('^"(.*)"$') or s:match("^'(.*)'$")
  return q or s
end

-- The path the document names, as written (relative or not), or nil.
local function named_bibliography(lines, style)
  if style == "tex" then
    for _, l in ipairs(lines) do
      l = l:gsub("^%%.*", ""):gsub("([^\\])%%.*", "%1") -- comments
      local res = l:match("\\addbibresource%s*%b[]%s*{([^}]+)}") or l:match("\\addbibresource%s*{([^}]+)}")
      if res then
        return vim.trim(res)
      end
      local bib = l:match("\\bibliography%s*{([^}]+)}")
      if bib then
        bib = vim.trim(bib:match("^[^,]+"))
        -- BibTeX adds the extension itself
        return bib:match("%.bib$") and bib or bib .. ".bib"
      end
    end
  elseif style == "pandoc" then
    if not (lines[1] and lines[1]:match("^%-%-%-%s*$")) then
      return nil
    end
    for i = 2, #lines do
      local l = lines[i]
      if l:match("^%-%-%-%s*$") or l:match("^%.%.%.%s*$") then
        return nil
      end
      local v = l:match("^bibliography%s*:%s*(.-)%s*$")
      if v then
        v = v:gsub("%s+#.*$", "")
        if v:match("^%[") then -- [a.bib, b.bib]
          return unquote(v:match("^%[%s*([^,%]]+)"))
        elseif v ~= "" then
          return unquote(v)
        end
        -- a block list: the first "- item" below
        for j = i + 1, #lines do
          local item = lines[j]:match("^%s+%-%s+(.-)%s*$")
          if item then
            return unquote(item:gsub("%s+#.*$", ""))
          end
          if not lines[j]:match("^%s*$") then
            return nil
          end
        end
      end
    end
  elseif style == "typst" then
    for _, l in ipairs(lines) do
      local args = l:match("#bibliography%s*(%b())")
      if args then
        local first = args:match('"([^"]+)"')
        if first then
          return first
        end
      end
    end
  end
end

--- The bibliography file of buffer buf (an absolute path), or nil when neither the document
--- nor the `bibliography` option names one.
function M.bibliography(buf)
  buf = buf or api.nvim_get_current_buf()
  local name = api.nvim_buf_get_name(buf)
  local dir = name ~= "" and vim.fn.fnamemodify(name, ":p:h") or vim.fn.getcwd()
  local style = M.style(buf)
  local lines = api.nvim_buf_get_lines(buf, 0, -1, false)
  local path = named_bibliography(lines, style)
  if not path and style == "tex" then
    -- a chapter of a larger document: the main file names the bibliography, found from
    -- `%!TEX root = main.tex` (TeXShop, TeXstudio, VimTeX) or VimTeX's own record
    local root
    for i = 1, math.min(#lines, 5) do
      root = root or lines[i]:match("^%%%s*!%s*[Tt][Ee][Xx]%s+root%s*=%s*(.-)%s*$")
    end
    root = root and vim.fn.fnamemodify(root:match("^/") and root or dir .. "/" .. root, ":p")
    local vimtex = vim.b[buf].vimtex
    root = root or (type(vimtex) == "table" and type(vimtex.tex) == "string" and vimtex.tex or nil)
    if root and vim.fn.filereadable(root) == 1 and root ~= vim.fn.fnamemodify(name, ":p") then
      path = named_bibliography(vim.fn.readfile(root), "tex")
      dir = path and vim.fn.fnamemodify(root, ":h") or dir
    end
  end
  if not path then
    path = config.bibliography
    if type(path) == "function" then
      path = path(buf)
    end
  end
  if type(path) ~= "string" or path == "" then
    return nil
  end
  path = vim.fn.expand(path)
  if not path:match("^/") and not path:match("^%a:[/\\]") then
    path = dir .. "/" .. path
  end
  return vim.fn.fnamemodify(path, ":p")
end

local function has_entry(text, key)
  if text:find("{" .. key .. ",", 1, true) then
    return true
  end
  -- `@misc{ key ,` written by hand
  return text:find("@%w+%s*{%s*" .. vim.pesc(key) .. "%s*,") ~= nil
end

--- Appends a BibTeX entry to the file at path unless an entry with key is there; creates the
--- file (and its directory) when missing. Returns "added" or "present", or nil and an error.
function M.append_bibtex(path, key, entry)
  local entry_lines = vim.split(entry, "\n", { plain = true })
  -- a file open in a buffer is edited there, so the buffer and the file never disagree
  local buf = vim.fn.bufnr(path)
  if buf > 0 and api.nvim_buf_is_loaded(buf) then
    local lines = api.nvim_buf_get_lines(buf, 0, -1, false)
    if has_entry(table.concat(lines, "\n"), key) then
      return "present"
    end
    local was_modified = vim.bo[buf].modified
    local empty = #lines == 1 and lines[1] == ""
    local add = vim.deepcopy(entry_lines)
    if not empty and lines[#lines] ~= "" then
      table.insert(add, 1, "")
    end
    api.nvim_buf_set_lines(buf, empty and 0 or -1, -1, false, add)
    if not was_modified then
      api.nvim_buf_call(buf, function()
        vim.cmd("silent noautocmd write")
      end)
    end
    return "added"
  end
  local old = ""
  local f = io.open(path, "r")
  if f then
    old = f:read("*a") or ""
    f:close()
    if has_entry(old, key) then
      return "present"
    end
  else
    vim.fn.mkdir(vim.fn.fnamemodify(path, ":h"), "p")
  end
  local sep = old == "" and "" or (old:sub(-1) == "\n" and "\n" or "\n\n")
  local out, err = io.open(path, "a")
  if not out then
    return nil, err
  end
  out:write(sep .. entry .. "\n")
  out:close()
  return "added"
end

---------------------------------------------------------------------------------------------
-- Inserting.

local function target_here()
  local win = api.nvim_get_current_win()
  return {
    buf = api.nvim_get_current_buf(),
    win = win,
    cursor = api.nvim_win_get_cursor(win),
    -- started from Insert mode (an imap to <Cmd>PaperCite<CR>): cite at the cursor, stay there
    insert = api.nvim_get_mode().mode:sub(1, 1) == "i",
  }
end

-- The window showing target.buf (target.win when it still does) and the cursor to use.
local function target_cursor(target)
  local buf, win = target.buf, target.win
  if not (win and api.nvim_win_is_valid(win) and api.nvim_win_get_buf(win) == buf) then
    win = vim.fn.bufwinid(buf)
  end
  -- the cursor when the picker opened: leaving the picker's insert mode moves it left
  local cursor = target.cursor
  if not cursor or cursor[1] > api.nvim_buf_line_count(buf) then
    cursor = win > 0 and api.nvim_win_get_cursor(win) or { api.nvim_buf_line_count(buf), 0 }
  end
  return win, cursor
end

-- A cite key at the cursor plus the BibTeX entry in the bibliography; done(err, inserted).
local function insert_key(target, style, hit, done)
  M.request("cite", { ids = { hit.id }, format = "bibtex" }, function(err, res)
    if err then
      return done(err)
    end
    local c = (val(res.citations) or {})[1]
    if not c then
      return done({ message = "no citation for " .. hit.id })
    end
    local buf = target.buf
    local win, cursor = target_cursor(target)
    local row = cursor[1]
    local line = api.nvim_buf_get_lines(buf, row - 1, row, false)[1] or ""
    local new, col = M.cite_into(style, line, cursor[2], c.key, target.insert)
    local msgs = {}
    if new then
      local ok, set_err = pcall(api.nvim_buf_set_lines, buf, row - 1, row, false, { new })
      if not ok then -- e.g. 'nomodifiable'
        return done({ message = "cannot insert the citation: " .. tostring(set_err) })
      end
      target.cursor = { row, col } -- a second cite from the same picker lands in this one
      if win > 0 then
        api.nvim_win_set_cursor(win, { row, col })
      end
    else
      table.insert(msgs, c.key .. " is already cited here")
    end
    local bib = M.bibliography(buf)
    local level = vim.log.levels.INFO
    if not bib then
      table.insert(msgs, ("%s: no bibliography file (name one in the document or setup{ bibliography = ... })"):format(c.key))
      level = vim.log.levels.WARN
    else
      local shown = vim.fn.fnamemodify(bib, ":~:.")
      local how, werr = M.append_bibtex(bib, c.key, c.text)
      if how == "added" then
        table.insert(msgs, ("%s added to %s"):format(c.key, shown))
      elseif how == "present" then
        table.insert(msgs, ("%s already in %s"):format(c.key, shown))
      else
        table.insert(msgs, ("cannot write %s: %s"):format(shown, tostring(werr)))
        level = vim.log.levels.ERROR
      end
    end
    notify(table.concat(msgs, "; "), level)
    done(nil, new)
  end)
end

--- Inserts the citation of hit (a search hit or a paper) what the target buffer's filetype
--- wants: a key (TeX, Pandoc, Typst) with its BibTeX entry appended to the bibliography, or
--- the reference line elsewhere. target defaults to the current window; done(err, text).
function M.insert(hit, target, done)
  target = target or target_here()
  done = done or function() end
  if not api.nvim_buf_is_valid(target.buf) then
    target = target_here()
  end
  local style = M.style(target.buf)
  if style ~= "text" then
    return insert_key(target, style, hit, function(err, text)
      if err then
        notify(errmsg(err))
      else
        last_id = hit.id
      end
      done(err, text)
    end)
  end
  local line = M.citation(hit)
  local ok, ins_err = insert_citation(target, line)
  if not ok then
    notify("cannot insert the citation: " .. tostring(ins_err))
    return done({ message = tostring(ins_err) })
  end
  last_id = hit.id
  done(nil, line)
end

---------------------------------------------------------------------------------------------
-- Pickers.

local function pick_select(hits, prompt, on_choice)
  vim.ui.select(hits, { prompt = prompt, format_item = M.format_item, kind = "paperdex" }, function(hit)
    on_choice(hit) -- not the index vim.ui.select passes second: that would mean keep_open
  end)
end

-- Telescope, with the abstract in the preview pane (fetched with `get` on demand).
-- on_choice(hit, keep_open): <CR> chooses and closes, <C-c> cites and keeps the list.
local function pick_telescope(hits, prompt, on_choice)
  local pickers = require("telescope.pickers")
  local finders = require("telescope.finders")
  local previewers = require("telescope.previewers")
  local conf = require("telescope.config").values
  local actions = require("telescope.actions")
  local action_state = require("telescope.actions.state")
  pickers
    .new({}, {
      prompt_title = prompt,
      finder = finders.new_table({
        results = hits,
        entry_maker = function(hit)
          local text = M.format_item(hit)
          return { value = hit, display = text, ordinal = text }
        end,
      }),
      sorter = conf.generic_sorter({}),
      previewer = previewers.new_buffer_previewer({
        title = "Abstract",
        define_preview = function(self, entry)
          local buf, win = self.state.bufnr, self.state.winid
          api.nvim_buf_set_lines(buf, 0, -1, false, paper_lines(entry.value))
          if api.nvim_win_is_valid(win) then
            vim.wo[win].wrap = true
            vim.wo[win].linebreak = true
          end
          fetch(entry.value.id, function(err, paper)
            if not err and api.nvim_buf_is_valid(buf) then
              api.nvim_buf_set_lines(buf, 0, -1, false, paper_lines(paper))
            end
          end)
        end,
      }),
      attach_mappings = function(prompt_bufnr, map)
        actions.select_default:replace(function()
          local entry = action_state.get_selected_entry()
          actions.close(prompt_bufnr)
          on_choice(entry and entry.value)
        end)
        for _, mode in ipairs({ "i", "n" }) do
          map(mode, "<C-c>", function()
            local entry = action_state.get_selected_entry()
            if entry then
              on_choice(entry.value, true)
            end
          end)
        end
        return true
      end,
    })
    :find()
end

-- fzf-lua over one search's hits (fzf filters them locally), the abstract as preview.
local function pick_fzf(hits, prompt, on_choice)
  local fzf = require("fzf-lua")
  local by_line, lines = {}, {}
  for i, hit in ipairs(hits) do
    -- fzf hands back the line: a number prefix makes it unique and maps it to its hit
    local line = ("%d. %s"):format(i, M.format_item(hit))
    by_line[line] = hit
    table.insert(lines, line)
  end
  local function chosen(selected)
    return selected and by_line[selected[1]]
  end
  local previewer = require("fzf-lua.previewer.builtin").base:extend()
  function previewer:new(o, opts, fzf_win)
    previewer.super.new(self, o, opts, fzf_win)
    setmetatable(self, previewer)
    return self
  end
  function previewer:populate_preview_buf(entry)
    local buf = self:get_tmp_buffer()
    local hit = by_line[entry]
    api.nvim_buf_set_lines(buf, 0, -1, false, hit and paper_lines(hit) or {})
    self:set_preview_buf(buf)
    if hit then
      fetch(hit.id, function(err, paper)
        if not err and api.nvim_buf_is_valid(buf) then
          api.nvim_buf_set_lines(buf, 0, -1, false, paper_lines(paper))
        end
      end)
    end
  end
  fzf.fzf_exec(lines, {
    prompt = prompt,
    previewer = previewer,
    actions = {
      ["default"] = function(selected)
        on_choice(chosen(selected))
      end,
      ["ctrl-c"] = { fn = function(selected)
        local hit = chosen(selected)
        if hit then
          on_choice(hit, true)
        end
      end, reload = false, exec_silent = true },
    },
  })
end

local function picker_kind()
  local use = config.picker
  if use == "auto" then
    if pcall(require, "telescope") then
      return "telescope"
    end
    return pcall(require, "fzf-lua") and "fzf" or "float"
  end
  return use
end

local function pick(hits, prompt, on_choice)
  local use = picker_kind()
  if use == "telescope" or use == "fzf" then
    local ok, err = pcall(use == "telescope" and pick_telescope or pick_fzf, hits, prompt, on_choice)
    if ok then
      return
    end
    notify(("%s picker failed, using vim.ui.select: %s"):format(use, tostring(err)), vim.log.levels.WARN)
  end
  pick_select(hits, prompt, on_choice)
end

local function topic_label(t)
  local arxiv = t:match("^/arxiv/(.+)$")
  if arxiv then
    return (arxiv:gsub("/", ".")) -- /arxiv/cs/CL -> cs.CL
  end
  return t:match("([^/]+)/?$") or t
end

--- A row of the live picker: `date · topic · Title · authors` (up to two, then "et al.").
function M.format_row(hit)
  local parts = { val(hit.date) or "undated" }
  local topic = (val(hit.topics) or {})[1]
  if topic then
    table.insert(parts, topic_label(topic))
  end
  table.insert(parts, vim.trim((hit.title:gsub("%s+", " "))))
  local authors = val(hit.authors) or {}
  if #authors > 0 then
    local names = #authors <= 2 and table.concat(authors, ", ") or authors[1] .. " et al."
    table.insert(parts, names)
  end
  return table.concat(parts, " · ")
end

-- Which papers the total counts when not every word had to match.
local matched_words = { most = ", with most of the words", any = ", with any of the words" }

local live = nil -- the open live picker's state, for tests and for closing it again

-- The plugin's own picker: a prompt float over a list and an abstract preview. Every change
-- of the prompt sends a search on the running server; an answer to any but the newest
-- request is dropped. Moving past the last row (or <C-l>) fetches the next page.
-- on_choice(hit, keep_open) as for Telescope.
local function pick_live(query, on_choice, keep_insert)
  if live then
    live.close()
  end
  local origin_win = api.nvim_get_current_win()
  local origin_cursor = api.nvim_win_get_cursor(origin_win)
  local cols, rows = vim.o.columns, vim.o.lines
  local width = math.max(40, math.min(cols - 4, 160))
  local height = math.max(5, math.min(rows - 8, 24))
  local col0 = math.floor((cols - width) / 2)
  local list_w = math.floor(width * 0.55)
  local prev_w = width - list_w - 2

  local function scratch()
    local b = api.nvim_create_buf(false, true)
    vim.bo[b].bufhidden = "wipe"
    return b
  end
  local pbuf, lbuf, vbuf = scratch(), scratch(), scratch()
  vim.bo[pbuf].buftype = "prompt"
  local prompt_text = "Papers> "
  vim.fn.prompt_setprompt(pbuf, prompt_text)
  local float = { relative = "editor", style = "minimal", border = "rounded" }
  local lwin = api.nvim_open_win(lbuf, false, vim.tbl_extend("force", float, {
    row = 3, col = col0, width = list_w, height = height, focusable = false,
  }))
  local vwin = api.nvim_open_win(vbuf, false, vim.tbl_extend("force", float, {
    row = 3, col = col0 + list_w + 2, width = prev_w, height = height, focusable = false,
  }))
  local pwin = api.nvim_open_win(pbuf, true, vim.tbl_extend("force", float, {
    row = 0, col = col0, width = width, height = 1,
  }))
  for _, w in ipairs({ pwin, lwin, vwin }) do
    -- the editor's colours, not 0.7's Pmenu-coloured floats; the selection as Telescope's
    vim.wo[w].winhighlight = "NormalFloat:Normal,FloatBorder:Normal"
  end
  vim.wo[lwin].wrap = false
  vim.wo[vwin].wrap = true
  vim.wo[vwin].linebreak = true

  local ns = api.nvim_create_namespace("paperdex_picker")
  local S = {
    seq = 0, -- id of the newest search sent
    answered = 0, -- seq of the search the rows show
    query = nil, -- the query the rows are for
    hits = {},
    total = 0,
    sel = 1,
    rows = {},
    status = "",
    buf = pbuf,
    list_buf = lbuf,
    preview_buf = vbuf,
    preview_id = nil,
  }
  live = S

  local function typed()
    local l = api.nvim_buf_get_lines(pbuf, 0, 1, false)[1] or ""
    return vim.trim(l:sub(1, #prompt_text) == prompt_text and l:sub(#prompt_text + 1) or l)
  end

  local function set_status(text)
    S.status = text
    -- right-aligned text that does not fit beside the query is not drawn at all
    local room = width - vim.fn.strdisplaywidth(prompt_text .. typed()) - 3
    if vim.fn.strchars(text) > room then
      text = room > 1 and vim.fn.strcharpart(text, 0, room - 1) .. "…" or ""
    end
    if api.nvim_buf_is_valid(pbuf) then
      api.nvim_buf_clear_namespace(pbuf, ns, 0, -1)
      api.nvim_buf_set_extmark(pbuf, ns, 0, 0, {
        virt_text = { { text, "Comment" } },
        virt_text_pos = "right_align",
      })
    end
  end

  local function show_preview()
    local hit = S.hits[S.sel]
    if not hit then
      S.preview_id = nil
      return api.nvim_buf_set_lines(vbuf, 0, -1, false, {})
    end
    S.preview_id = hit.id
    api.nvim_buf_set_lines(vbuf, 0, -1, false, paper_lines(hit))
    fetch(hit.id, function(err, paper)
      -- the selection may have moved on while `get` was in flight
      if not err and S.preview_id == hit.id and api.nvim_buf_is_valid(vbuf) then
        api.nvim_buf_set_lines(vbuf, 0, -1, false, paper_lines(paper))
        S.previewed = hit.id
      end
    end)
  end

  local function render()
    S.rows = {}
    for i, hit in ipairs(S.hits) do
      S.rows[i] = M.format_row(hit)
    end
    api.nvim_buf_set_lines(lbuf, 0, -1, false, #S.rows > 0 and S.rows or { "  (no papers)" })
    api.nvim_buf_clear_namespace(lbuf, ns, 0, -1)
    if S.hits[S.sel] then
      api.nvim_buf_add_highlight(lbuf, ns, "Visual", S.sel - 1, 0, -1)
      api.nvim_win_set_cursor(lwin, { S.sel, 0 }) -- scrolls the list to the selection
    end
    -- as the select prompt does: say when not every word had to match
    set_status(("%d of %d%s"):format(#S.hits, S.total, matched_words[S.matched] or ""))
    show_preview()
  end

  -- offset 0: a new query; otherwise the next page of the current one
  local function search(offset)
    local q = offset == 0 and typed() or S.query
    S.seq = S.seq + 1
    local seq = S.seq
    M.request("search", { q = q, limit = config.limit, offset = offset, facets = false, snippets = false }, function(err, res)
      if seq ~= S.seq or live ~= S then
        return -- a newer search was sent (or the picker closed): this answer is stale
      end
      S.answered = seq
      if err then
        if not S.told then -- the whole message once; the status line may cut it
          S.told = true
          notify(errmsg(err))
        end
        return set_status(errmsg(err))
      end
      local hits = val(res.hits) or {}
      if offset == 0 then
        S.hits, S.sel = hits, 1
      else
        vim.list_extend(S.hits, hits)
        if S.advance and S.hits[S.sel + 1] then
          S.sel = S.sel + 1 -- the move past the end that asked for this page
        end
      end
      S.advance = false
      S.query, S.total, S.matched = q, val(res.total) or #S.hits, val(res.matched)
      render()
    end)
  end

  local function more(advance)
    -- only once the rows answer the current query, and when there is more
    if S.answered == S.seq and #S.hits < S.total then
      S.advance = advance
      search(#S.hits)
    end
  end

  local function move(d)
    local n = S.sel + d
    if n > #S.hits then
      more(true)
      n = #S.hits
    end
    S.sel = math.max(1, n)
    if #S.hits > 0 then
      render()
    end
  end

  local closed = false
  local resized -- the VimResized autocmd
  function S.close()
    if closed then
      return
    end
    closed = true
    if resized then
      pcall(api.nvim_del_autocmd, resized)
    end
    if live == S then
      live = nil
    end
    for _, w in ipairs({ pwin, lwin, vwin }) do
      if api.nvim_win_is_valid(w) then
        api.nvim_win_close(w, true)
      end
    end
    if api.nvim_win_is_valid(origin_win) then
      api.nvim_set_current_win(origin_win)
    end
    if not keep_insert then
      vim.cmd("stopinsert")
    else
      -- opened from Insert mode: leaving the prompt buffer ends it once this key is done;
      -- resume it where it was, after that
      vim.schedule(function()
        if api.nvim_get_current_win() ~= origin_win or api.nvim_get_mode().mode:sub(1, 1) == "i" then
          return
        end
        if origin_cursor[2] >= #api.nvim_get_current_line() then
          vim.cmd("startinsert!")
        else
          api.nvim_win_set_cursor(origin_win, origin_cursor)
          vim.cmd("startinsert")
        end
      end)
    end
  end

  local function choose(keep_open)
    local hit = S.hits[S.sel]
    if not hit then
      return
    end
    if not keep_open then
      S.close()
    end
    on_choice(hit, keep_open)
  end

  local function map(lhs, fn)
    for _, mode in ipairs({ "i", "n" }) do
      vim.keymap.set(mode, lhs, fn, { buffer = pbuf, nowait = true })
    end
  end
  map("<CR>", function()
    choose(false)
  end)
  map("<C-c>", function()
    choose(true)
  end)
  for _, k in ipairs({ "<Down>", "<C-n>", "<C-j>" }) do
    map(k, function()
      move(1)
    end)
  end
  for _, k in ipairs({ "<Up>", "<C-p>", "<C-k>" }) do
    map(k, function()
      move(-1)
    end)
  end
  map("<C-l>", function()
    more(false)
  end)
  -- the abstract is often longer than its window
  -- (<C-f>/<C-b>: <C-u> keeps clearing the query, as in any Insert mode)
  for lhs, keys in pairs({ ["<C-f>"] = "\4", ["<C-b>"] = "\21" }) do
    map(lhs, function()
      if api.nvim_win_is_valid(vwin) then
        api.nvim_win_call(vwin, function()
          vim.cmd("normal! " .. keys)
        end)
      end
    end)
  end
  map("<Esc>", S.close)
  vim.keymap.set("n", "q", S.close, { buffer = pbuf, nowait = true })

  -- every keystroke; on_lines also sees typeahead that TextChangedI would batch
  api.nvim_buf_attach(pbuf, false, {
    on_lines = function()
      if closed then
        return true -- detach
      end
      vim.schedule(function()
        if not closed and typed() ~= S.typed then
          S.typed = typed()
          search(0)
        end
      end)
    end,
  })
  api.nvim_create_autocmd("BufLeave", {
    buffer = pbuf,
    once = true,
    callback = function()
      vim.schedule(S.close)
    end,
  })
  -- the layout was computed for the old size: floats could now hang off the screen
  resized = api.nvim_create_autocmd("VimResized", {
    once = true,
    callback = function()
      S.close()
    end,
  })

  api.nvim_buf_set_lines(pbuf, 0, -1, false, { prompt_text .. (query or "") })
  S.typed = typed()
  search(0)
  vim.cmd("startinsert!")
  return S
end

--- The open live picker (nil when none): seq, answered, query, rows, sel, hits, total, status,
--- buf, list_buf, preview_buf, close(). For tests and statuslines.
function M._picker()
  return live
end


-- The server's notes on how it read the query ("searched as words: ...", "1 paper(s) have all
-- 7 words; ..."), one line, or nil when there are none.
local function notes_of(res)
  local notes = {}
  for _, n in ipairs(val(res.notes) or {}) do
    if type(n) == "string" and vim.trim(n) ~= "" then
      table.insert(notes, vim.trim(n))
    end
  end
  return #notes > 0 and table.concat(notes, " · ") or nil
end

--- Searches, lets the user pick a hit, inserts its citation at the cursor as the filetype
--- wants (see M.insert). The query goes to the server as typed: a pasted title
--- (`XAttention: Block ...`), a half-typed phrase (`"sparse atten`) or an id form
--- (`arXiv:2503.16428`) is read by paperdex itself, which says how in its notes (shown once,
--- at INFO level, when `notes` is on). With the "float" picker the query is only where the
--- typing starts. on_done(err, text, hit) runs after each insertion (text is nil when
--- nothing was chosen; a picker closed without a choice may not call it).
function M.search(query, on_done)
  on_done = on_done or function() end
  local target = target_here()
  local kind = picker_kind()
  local function chosen(hit, keep_open)
    if not hit then
      return on_done(nil, nil)
    end
    M.insert(hit, target, function(err, text)
      if err then
        return on_done(err)
      end
      -- pickers with a preview pane showed the abstract already
      if config.preview and kind ~= "telescope" and kind ~= "fzf" and kind ~= "float" and not keep_open then
        M.preview(hit.id)
      end
      on_done(nil, text, hit)
    end)
  end
  if kind == "float" then
    return pick_live(query, chosen, target.insert)
  end
  -- The picker shows no facets: without them the search prunes (see docs/stdio-protocol.md).
  M.request("search", { q = query, limit = config.limit, facets = false }, function(err, res)
    if err then
      notify(errmsg(err))
      return on_done(err)
    end
    local hits = val(res.hits) or {}
    local notes = config.notes and notes_of(res) or nil
    if #hits == 0 then
      local why = notes and (" (%s)"):format(notes) or ""
      notify(("no papers match %q%s"):format(query, why), vim.log.levels.INFO)
      return on_done(nil, nil)
    end
    if notes then
      -- One line at most: a longer message would stop the editor at a hit-enter prompt.
      local room = math.max(20, (vim.v.echospace or 80) - #"paperdex: " - 1)
      if vim.fn.strchars(notes) > room then
        notes = vim.fn.strcharpart(notes, 0, room - 1) .. "…"
      end
      notify(notes, vim.log.levels.INFO)
    end
    local prompt = ("Papers for %q (%d of %d%s): "):format(
      query,
      #hits,
      val(res.total) or #hits,
      matched_words[val(res.matched)] or ""
    )
    pick(hits, prompt, chosen)
  end)
end

--- :PaperSearch / :PaperCite [query]. The float picker opens with the query typed in (or
--- empty); the others ask for the query when none is given.
function M.search_command(args)
  local query = args and vim.trim(args) or ""
  if query == "" and picker_kind() ~= "float" then
    local ok, input = pcall(vim.fn.input, "Paper search: ")
    if not ok or vim.trim(input) == "" then
      return
    end
    query = vim.trim(input)
  end
  M.search(query)
end

return M
