-- Tables, metatables, closures, varargs, sorting, goto.
local t = {}
for i = 1, 10 do t[i] = i * i end
table.insert(t, 1, 0); table.remove(t); table.sort(t, function(a, b) return a > b end)
print(table.concat(t, " "), #t, select("#", table.unpack(t)))
local counts = {}
for _, w in ipairs({ "a", "b", "a", "c", "b", "a" }) do counts[w] = (counts[w] or 0) + 1 end
local keys = {}
for k in pairs(counts) do keys[#keys + 1] = k end
table.sort(keys)
for _, k in ipairs(keys) do io.write(k, "=", counts[k], " ") end
print()
local function counter()
  local n = 0
  return function(step) n = n + (step or 1); return n end
end
local c1, c2 = counter(), counter()
c1(); c1(5); c2()
print(c1(), c2())
local V = {}
V.__index = V
V.__add = function(a, b) return setmetatable({ x = a.x + b.x, y = a.y + b.y }, V) end
V.__tostring = function(v) return ("(%g, %g)"):format(v.x, v.y) end
V.__eq = function(a, b) return a.x == b.x and a.y == b.y end
V.__lt = function(a, b) return a.x < b.x end
V.__len = function() return 2 end
V.__call = function(self, k) return self[k] end
local function vec(x, y) return setmetatable({ x = x, y = y }, V) end
local v = vec(1, 2) + vec(0.5, -4)
print(tostring(v), v == vec(1.5, -2), vec(1, 0) < vec(2, 0), #v, v("y"))
local proxy = setmetatable({}, { __index = function(_, k) return k .. "!" end,
  __newindex = function(t, k, val) rawset(t, k, val * 2) end })
proxy.a = 21
print(proxy.a, proxy.zz, rawget(proxy, "zz"))
local function sum(...)
  local s = 0
  for i = 1, select("#", ...) do s = s + (select(i, ...)) end
  return s, ...
end
print(sum(1, 2, 3.5))
local weak = setmetatable({}, { __mode = "k" })
weak[{}] = 1
collectgarbage(); collectgarbage()
local n = 0
for _ in pairs(weak) do n = n + 1 end
print("weak entries", n)
for i = 1, 3 do
  for j = 1, 3 do
    if j == 2 then goto continue end
    io.write(i, j, " ")
    ::continue::
  end
end
print()
local big = {}
for i = 1, 100000 do big[i] = i % 7 end
local acc = 0
for i = 1, #big do acc = acc + big[i] end
print("acc", acc, #big)
