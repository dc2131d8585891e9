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
  picker = "auto", -- "auto" (Telescope when installed, else vim.ui.select), "telescope", "select"
  preview = true, -- after inserting a citation, float the paper's abstract next to the cursor
  notes = true, -- say (vim.notify, INFO) how paperdex read the query: as words, cut short, ...
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

local function pick_select(hits, prompt, on_choice)
  vim.ui.select(hits, { prompt = prompt, format_item = M.format_item, kind = "paperdex" }, on_choice)
end

-- Telescope, with the abstract in the preview pane (fetched with `get` on demand).
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
      attach_mappings = function(prompt_bufnr)
        actions.select_default:replace(function()
          local entry = action_state.get_selected_entry()
          actions.close(prompt_bufnr)
          on_choice(entry and entry.value)
        end)
        return true
      end,
    })
    :find()
end

local function pick(hits, prompt, on_choice)
  local use = config.picker
  if use == "auto" then
    use = pcall(require, "telescope") and "telescope" or "select"
  end
  if use == "telescope" then
    local ok, err = pcall(pick_telescope, hits, prompt, on_choice)
    if ok then
      return
    end
    notify("Telescope picker failed, using vim.ui.select: " .. tostring(err), vim.log.levels.WARN)
  end
  pick_select(hits, prompt, on_choice)
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

-- Which papers the total counts when not every word had to match.
local matched_words = { most = ", with most of the words", any = ", with any of the words" }

--- Searches, lets the user pick a hit, inserts its citation at the cursor.
--- The query goes to the server as typed: a pasted title (`XAttention: Block ...`), a
--- half-typed phrase (`"sparse atten`) or an id form (`arXiv:2503.16428`) is read by paperdex
--- itself, which says how in its notes (shown once, at INFO level, when `notes` is on).
--- on_done(err, citation, hit) runs at the end; citation is nil when nothing was chosen
--- (a Telescope picker closed without a choice does not call it).
function M.search(query, on_done)
  on_done = on_done or function() end
  local target = { buf = api.nvim_get_current_buf(), win = api.nvim_get_current_win() }
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
    pick(hits, prompt, function(hit)
      if not hit then
        return on_done(nil, nil)
      end
      local line = M.citation(hit)
      local ok, ins_err = insert_citation(target, line)
      if not ok then
        notify("cannot insert the citation: " .. tostring(ins_err))
        return on_done({ message = tostring(ins_err) })
      end
      last_id = hit.id
      if config.preview then
        M.preview(hit.id)
      end
      on_done(nil, line, hit)
    end)
  end)
end

--- :PaperSearch [query]; asks for the query when none is given.
function M.search_command(args)
  local query = args
  if query == nil or vim.trim(query) == "" then
    local ok, input = pcall(vim.fn.input, "Paper search: ")
    if not ok or vim.trim(input) == "" then
      return
    end
    query = input
  end
  M.search(vim.trim(query))
end

return M
