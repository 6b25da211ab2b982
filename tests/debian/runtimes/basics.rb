# Ruby 3.1: sorting, bignums, floats, hashes, fibers and threads.
a = (0...100_000).map { |i| (i * 7919) % 100_003 }.sort
s = 0
a.each_with_index { |v, i| s += v * i }
puts s, Math.sin(1.234).round(12), 2**200, 10.0 / 3, 1e100.to_i % 997
h = Hash.new(0)
"the quick brown fox jumps over the lazy dog".each_char { |c| h[c] += 1 }
p h.sort_by { |k, v| [-v, k] }.first(4)
f = Fiber.new { 3.times { |i| Fiber.yield i }; :done }
4.times { p f.resume }
t = 4.times.map { |i| Thread.new(i) { |x| (1..20_000).reduce(:+) * x } }
p t.map(&:value)
q = Queue.new
producer = Thread.new { 5.times { |i| q << i * i }; q << nil }
got = []
while (v = q.pop)
  got << v
end
producer.join
p got, "héllo".bytes.sum, "%08.3f|%-6s|%x" % [3.14159, "ab", 255]
p [3, 1, 2].lazy.map { |x| x * 2 }.select(&:even?).to_a, (1..Float::INFINITY).lazy.map { |x| x * x }.first(5)
p "Hello World".scan(/o./), "a-b_c".tr("-_", "  ").split
begin
  raise ArgumentError, "bad"
rescue => e
  p e.class, e.message
end
