-- wrk script for bench/intake.py: a 3.5 KB report with a new id per request.
-- bench/intake.py prepends `key` (the project key), `titles` (bench/bulk_load.py's HOT_TITLES,
-- the largest groups of a seeded store) and `new_group_every`: one request in that many has a
-- title of its own, a new group; the others join the groups of `titles`.
local actions = {}
for i = 1, 20 do
  actions[#actions + 1] = string.format(
    '{"timestamp":"2026-11-25T10:00:%02dZ","category":"ui.click","message":"clicked button %d on the settings page","data":{"selector":"#b%d"}}',
    i, i, i)
end
local trail = table.concat(actions, ",")
local function hex(n)
  local out = {}
  for i = 1, n do out[i] = string.format("%04x", math.random(0, 0xffff)) end
  return table.concat(out)
end
-- Letters g..z only: the fingerprint's normalisation drops digits and runs of hex digits.
local function word(n)
  local out = {}
  for i = 1, n do out[i] = string.char(103 + math.random(0, 19)) end
  return table.concat(out)
end
function setup(thread) thread:set("seed", math.random(1, 1e9)) end
function init(args) math.randomseed(seed) end
request = function()
  local h = hex(8)
  local id = h:sub(1, 8) .. "-" .. h:sub(9, 12) .. "-4" .. h:sub(14, 16) .. "-8" .. h:sub(18, 20) .. "-" .. h:sub(21, 32)
  local title
  if math.random(1, new_group_every) == 1 then
    title = "Widget misbehaves on the " .. word(10) .. " page"
  else
    title = titles[math.random(1, #titles)]
  end
  local body = string.format(
    '{"id":"%s","created_at":"2026-11-25T10:00:00Z","title":"%s","description":"%s","user":{"id":"u-%d","plan":"pro"},"app":{"name":"shop","release":"2.4.1","environment":"production"},"runtime":{"name":"CPython","version":"3.11.7"},"os":{"name":"Linux","version":"6.1"},"actions":[%s],"tags":{"feature":"settings"}}',
    id, title, string.rep("I clicked the button and nothing happened. ", 12), math.random(1, 1000), trail)
  return wrk.format("POST", nil, {["Content-Type"] = "application/json", ["X-BugRelay-Key"] = key}, body)
end
