-- Headless end-to-end test of the plugin against a real `paperdex stdio` server.
--
--   PAPERDEX_BIN=... PAPERDEX_TEST_INDEX=... PAPERDEX_TEST_OUT=out.json \
--   nvim --headless -u NONE -i NONE --cmd "set rtp+=editors/nvim" -c "luafile editors/nvim/test/citation_spec.lua"
--
-- Drives the real :PaperSearch command with vim.ui.select and vim.notify stubbed, writes
-- what happened (buffer lines, job ids, notifications, picker items, preview) as JSON to
-- PAPERDEX_TEST_OUT, and exits 0; any failed check or timeout exits non-zero (cquit), so
-- the Rust side (tests/nvim.rs) can assert on exact text it derives from the CLI.

local api = vim.api
local report = { steps = {}, notes = {}, shown = {} }

local function write_report()
  local f = assert(io.open(assert(os.getenv("PAPERDEX_TEST_OUT"), "PAPERDEX_TEST_OUT unset"), "w"))
  f:write(vim.fn.json_encode(report))
  f:close()
end

local function wait_for(what, cond)
  if not vim.wait(10000, cond, 20) then
    error("timed out after 10 s waiting for " .. what, 2)
  end
end

local function check(ok, msg)
  if not ok then
    error("check failed: " .. msg, 2)
  end
end

local function last_line()
  return api.nvim_buf_get_lines(0, -2, -1, false)[1]
end

local function main()
  local bin = assert(os.getenv("PAPERDEX_BIN"), "PAPERDEX_BIN unset")
  local index = assert(os.getenv("PAPERDEX_TEST_INDEX"), "PAPERDEX_TEST_INDEX unset")

  -- -u NONE loads no plugins: source ours from the runtimepath, as a plugin manager would
  vim.cmd("runtime! plugin/paperdex.lua")
  check(vim.fn.exists(":PaperSearch") == 2, ":PaperSearch is defined")
  check(vim.fn.exists(":PaperStop") == 2, ":PaperStop is defined")

  vim.notify = function(msg, level)
    table.insert(report.notes, { msg = msg, level = level or vim.log.levels.INFO })
  end
  local function errors()
    return vim.tbl_filter(function(n)
      return n.level == vim.log.levels.ERROR
    end, report.notes)
  end

  local paperdex = require("paperdex")

  -- 0. A server that cannot start is an error message, not a Lua error.
  paperdex.setup({ cmd = { "/nonexistent/paperdex", "stdio" }, picker = "select" })
  vim.cmd("PaperSearch MoBA")
  wait_for("the cannot-start notification", function()
    return #errors() == 1
  end)
  check(api.nvim_buf_get_lines(0, 0, -1, false)[1] == "", "nothing inserted without a server")

  paperdex.setup({ cmd = { bin, "stdio" }, index = index, limit = 10, picker = "select" })

  -- The picker "user" chooses the first item whose line contains `want`, or the first item
  -- when `want` is nil (the paper the search ranked first).
  local want, picked
  vim.ui.select = function(items, opts, on_choice)
    local lines = {}
    for i, item in ipairs(items) do
      lines[i] = opts.format_item(item)
    end
    table.insert(report.shown, { prompt = opts.prompt, items = lines })
    for i, item in ipairs(items) do
      if want == nil or lines[i]:find(want, 1, true) then
        picked = item
        return on_choice(item, i)
      end
    end
    on_choice(nil, nil)
  end

  -- prompted: run :PaperSearch bare and type the query at its vim.fn.input prompt
  -- pick: a word of the picker line to choose, nil for the first line
  local function search(query, pick, prompted)
    want, picked = pick, nil
    local count = api.nvim_buf_line_count(0)
    local errors_before = #errors()
    if prompted then
      local input = vim.fn.input
      vim.fn.input = function(prompt)
        report.input_prompt = prompt
        return query
      end
      vim.cmd("PaperSearch")
      vim.fn.input = input
    else
      vim.cmd("PaperSearch " .. query)
    end
    -- the citation starts with the chosen paper's title
    local title
    wait_for("the citation for " .. query, function()
      title = picked and vim.trim((picked.title:gsub("%s+", " ")))
      return title ~= nil and last_line():find(title, 1, true) == 1
    end)
    check(api.nvim_buf_line_count(0) == count + 1 or count == 1, "one line inserted for " .. query)
    check(#errors() == errors_before, "no error message for " .. query)
    -- then the abstract of the chosen paper floats next to the cursor
    local preview
    wait_for("the abstract preview for " .. query, function()
      local win = paperdex._preview_win()
      if win and api.nvim_win_is_valid(win) then
        preview = api.nvim_buf_get_lines(api.nvim_win_get_buf(win), 0, -1, false)
        return preview[1] ~= nil and preview[1]:find(title, 1, true) == 1
      end
    end)
    check(api.nvim_win_get_config(paperdex._preview_win()).relative ~= "", "the preview is a floating window")
    table.insert(report.steps, { query = query, job = paperdex._job_id(), line = last_line(), preview = preview })
  end

  -- 1. The first search starts the server; the abstract preview floats next to the cursor.
  search("MoBA", "MoBA:")
  local job = paperdex._job_id()
  check(type(job) == "number" and job > 0, "a server job is running")

  -- 2. A second search, typed at the prompt, goes to the same server process.
  search("XAttention", "XAttention:", true)
  check(report.input_prompt ~= nil, ":PaperSearch without a query prompts for one")
  check(paperdex._job_id() == job, "the second search reused the server job")

  -- 3. A server error is reported through vim.notify and changes nothing. Query text is
  -- never a syntax error unless asked for: this one request asks (syntax = "strict").
  local lines_before = api.nvim_buf_get_lines(0, 0, -1, false)
  local request = paperdex.request
  paperdex.request = function(method, params, cb)
    if method == "search" then
      params = vim.tbl_extend("force", params, { syntax = "strict" })
    end
    return request(method, params, cb)
  end
  vim.cmd('PaperSearch "unclosed')
  paperdex.request = request
  wait_for("the syntax error notification", function()
    return #errors() == 2
  end)
  check(vim.deep_equal(api.nvim_buf_get_lines(0, 0, -1, false), lines_before), "buffer unchanged by the error")
  check(paperdex._job_id() == job, "the server survived the bad query")

  -- 4. The next search still works, on the same server (unquoted multi-word query).
  search("Mixture of Sparse Attention", "Mixture of Sparse Attention:")
  check(paperdex._job_id() == job, "the search after the error reused the server job")

  -- 4b. A pasted title with a colon (`XAttention` is no field) and a half-typed phrase with
  -- its quote still open: no error, the paper ranked first is the one picked.
  search("XAttention: Block Sparse Attention with Antidiagonal Scoring", nil)
  search('"native sparse atten', nil)
  check(paperdex._job_id() == job, "the same server answered the pasted text")

  -- 5. A dead server is replaced by a new one on the next search.
  vim.fn.jobstop(job)
  wait_for("the killed server to be noticed", function()
    return paperdex._job_id() == nil
  end)
  search("MoBA", "MoBA:")
  local job2 = paperdex._job_id()
  check(job2 ~= nil and job2 ~= job, "a new server job replaced the dead one")

  -- 6. :PaperStop ends it.
  vim.cmd("PaperStop")
  wait_for("the server to stop", function()
    return vim.fn.jobwait({ job2 }, 0)[1] ~= -1
  end)
  check(paperdex._job_id() == nil, "no job after :PaperStop")

  report.lines = api.nvim_buf_get_lines(0, 0, -1, false)
end

local ok, err = xpcall(main, debug.traceback)
if not ok then
  report.error = tostring(err)
  pcall(write_report)
  io.stderr:write("citation_spec.lua: " .. tostring(err) .. "\n")
  vim.cmd("cquit 1")
else
  write_report()
  vim.cmd("qa!")
end
