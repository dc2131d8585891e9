-- Commands only; the module (and the server) load on first use.
if vim.g.loaded_paperdex or vim.fn.has("nvim-0.7") == 0 then
  return
end
vim.g.loaded_paperdex = true

local command = vim.api.nvim_create_user_command

-- nargs=* with opts.args keeps the query verbatim: quotes, AND/OR, title: and all
command("PaperCite", function(opts)
  require("paperdex").search_command(opts.args)
end, { nargs = "*", desc = "paperdex: search papers and cite one as the filetype wants" })

command("PaperSearch", function(opts)
  require("paperdex").search_command(opts.args)
end, { nargs = "*", desc = "paperdex: search papers and insert a citation" })

command("PaperPreview", function(opts)
  require("paperdex").preview(opts.args)
end, { nargs = "?", desc = "paperdex: show the abstract of the cited paper (or of ID)" })

command("PaperStop", function()
  require("paperdex").stop()
end, { nargs = 0, desc = "paperdex: stop the paperdex stdio server" })
