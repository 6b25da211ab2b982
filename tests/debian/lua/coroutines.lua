-- Coroutines, errors, pcall/xpcall, error objects, tostring of errors.
local function gen(n)
  return coroutine.wrap(function()
    for i = 1, n do coroutine.yield(i, i * i) end
    return "done"
  end)
end
local g = gen(3)
print(g()); print(g()); print(g()); print(g())
local co = coroutine.create(function(a, b)
  local c = coroutine.yield(a + b)
  local d, e = coroutine.yield(c * 2)
  error({ code = d + e })
end)
print(coroutine.resume(co, 1, 2))
print(coroutine.status(co), coroutine.resume(co, 10))
local ok, err = coroutine.resume(co, 3, 4)
print(ok, type(err), err.code, coroutine.status(co))
print(coroutine.resume(co))
print(coroutine.isyieldable(), select(2, coroutine.running()), type(coroutine.running()))
print(pcall(error, "plain"))
print(pcall(error, "with level", 0))
print(pcall(function() local x = nil; return x.field end))
print(pcall(function() return 1 + {} end))
print(select(2, pcall(string.rep)))
print(xpcall(function() error("deep") end, function(m) return "handled: " .. m end))
print(pcall(setmetatable, 1, {}))
local ok2, e2 = pcall(function() error(setmetatable({}, { __tostring = function() return "custom" end })) end)
print(ok2, tostring(e2))
local function fib(n) if n < 2 then return n end return fib(n - 1) + fib(n - 2) end
print("fib", fib(22))
local producer = coroutine.create(function()
  for _, w in ipairs({ "alpha", "beta", "gamma" }) do coroutine.yield(w) end
end)
while true do
  local _, w = coroutine.resume(producer)
  if not w then break end
  io.write(w:upper(), ";")
end
print()
print(string.format("%.14g", 0.1 + 0.2), 0.1 + 0.2 == 0.3, 100 // 0.0, -100 % math.huge)
print(pcall(function() return 1 // 0 end))
io.stderr:write("to stderr\n")
os.exit(3)
