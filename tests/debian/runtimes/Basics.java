// A Java program for the runtimes suite (crates/kvrm-cli/tests/runtimes.rs), run by
// OpenJDK 17's source launcher: the JVM compiles this file with javac in its own
// process, then runs it. Its output must be the same under kvrm and qemu-aarch64;
// it prints nothing that depends on timing, the host or the scheduler.
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.*;
import java.util.concurrent.*;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

public class Basics {
    static int depth;

    static void recurse() {
        depth++;
        recurse();
    }

    static long fib(int n) {
        return n < 2 ? n : fib(n - 1) + fib(n - 2);
    }

    interface Shape { double area(); }
    record Circle(double r) implements Shape { public double area() { return Math.PI * r * r; } }
    record Square(double s) implements Shape { public double area() { return s * s; } }

    public static void main(String[] args) throws Exception {
        System.out.println("arch " + System.getProperty("os.arch") + ", java " + System.getProperty("java.specification.version"));

        // Hot loops: the JVM compiles them (C1, then C2) into code it writes at run time.
        long s = 0;
        for (int i = 0; i < 3_000_000; i++) s += (i % 7) * (long) (i ^ 0x55);
        System.out.println("loop " + s);
        System.out.println("fib(27) " + fib(27));

        // Implicit null checks and stack banging are SIGSEGV handled by the JVM.
        try { Object o = null; o.hashCode(); } catch (NullPointerException e) { System.out.println("NullPointerException caught"); }
        int[] small = new int[3];
        try { small[3] = 1; } catch (ArrayIndexOutOfBoundsException e) { System.out.println("AIOOBE: " + e.getMessage()); }
        try { System.out.println(10 / (small.length - 3)); } catch (ArithmeticException e) { System.out.println("ArithmeticException: " + e.getMessage()); }
        try { recurse(); } catch (StackOverflowError e) { System.out.println("StackOverflowError caught, depth > 1000: " + (depth > 1000)); }
        try { Object x = "str"; Integer bad = (Integer) x; System.out.println(bad); } catch (ClassCastException e) { System.out.println("ClassCastException caught"); }

        // Floating point: Double.toString, StrictMath (fdlibm), BigDecimal.
        double[] ds = {0.1 + 0.2, 1e-310, -0.0, Double.MIN_VALUE, Double.MAX_VALUE, 1.0 / 3, Math.sqrt(2), Float.MIN_NORMAL};
        System.out.println("doubles " + Arrays.toString(ds));
        System.out.println("strict " + StrictMath.sin(1e10) + " " + StrictMath.log(7.5) + " " + StrictMath.pow(1.0000001, 1e7) + " " + StrictMath.cbrt(-27.5));
        System.out.println("math " + Math.fma(0.1, 0.2, -0.02) + " " + Math.round(-2.5) + " " + Math.floorMod(-7, 3) + " " + (float) 1e40 + " " + (int) Double.NaN + " " + (long) 1e300);
        System.out.println(String.format(Locale.ROOT, "format %.17g %a %08.3f %e", Math.E, 1.5, -3.14159, 6.02214076e23));
        System.out.println("bigdecimal " + new BigDecimal("1").divide(new BigDecimal("7"), new MathContext(50)));
        BigInteger f = BigInteger.ONE;
        for (int i = 2; i <= 60; i++) f = f.multiply(BigInteger.valueOf(i));
        System.out.println("60! " + f + " mod 1e9+7 " + f.mod(BigInteger.valueOf(1_000_000_007)));
        System.out.println("2^521-1 prime " + BigInteger.TWO.pow(521).subtract(BigInteger.ONE).isProbablePrime(20));

        // Collections, streams, lambdas (invokedynamic), records, sealed-like dispatch.
        TreeMap<String, Integer> counts = new TreeMap<>();
        for (int i = 0; i < 20000; i++) counts.merge("k" + (i * 31 % 101), i, Integer::sum);
        System.out.println("treemap " + counts.size() + " " + counts.get("k5") + " " + counts.firstKey() + " " + counts.lastKey());
        List<Integer> nums = IntStream.range(0, 5000).map(i -> (i * 7919) % 5003).boxed().collect(Collectors.toList());
        Collections.sort(nums);
        System.out.println("sorted " + nums.subList(0, 5) + " sum " + nums.stream().mapToLong(Integer::longValue).sum());
        System.out.println("grouped " + IntStream.rangeClosed(1, 30).boxed().collect(Collectors.groupingBy(i -> i % 4, TreeMap::new, Collectors.counting())));
        List<Shape> shapes = List.of(new Circle(1.5), new Square(2), new Circle(0.5));
        System.out.println("shapes " + shapes + " area " + shapes.stream().mapToDouble(Shape::area).sum());
        HashMap<String, Integer> hm = new HashMap<>();
        for (String w : "the quick brown fox jumps over the lazy dog the end".split(" ")) hm.merge(w, 1, Integer::sum);
        System.out.println("hashmap " + hm);

        // Strings, regex, UTF-8, hashing, compression.
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 1000; i++) sb.append(i % 10);
        System.out.println("sb " + sb.length() + " " + sb.toString().hashCode());
        Matcher m = Pattern.compile("(\\w+)@(\\w+)\\.com").matcher("mail a@b.com and cc@dd.com, not e@f.org");
        List<String> found = new ArrayList<>();
        while (m.find()) found.add(m.group(2) + ":" + m.group(1));
        System.out.println("regex " + found);
        String unicode = "Grüße, 世界 🌍";
        byte[] utf8 = unicode.getBytes(StandardCharsets.UTF_8);
        System.out.println("utf8 " + utf8.length + " " + new String(utf8, StandardCharsets.UTF_8).equals(unicode) + " " + unicode.toUpperCase(Locale.ROOT));
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        byte[] digest = md.digest("kvrm".repeat(1000).getBytes(StandardCharsets.UTF_8));
        System.out.println("sha256 " + HexFormat.of().formatHex(digest));
        CRC32 crc = new CRC32();
        crc.update(utf8);
        System.out.println("crc32 " + Long.toHexString(crc.getValue()));
        byte[] input = "abcabcabc-kvrm-".repeat(500).getBytes(StandardCharsets.US_ASCII);
        Deflater def = new Deflater(9);
        def.setInput(input);
        def.finish();
        byte[] packed = new byte[input.length];
        int plen = def.deflate(packed);
        Inflater inf = new Inflater();
        inf.setInput(packed, 0, plen);
        byte[] unpacked = new byte[input.length];
        int ulen = inf.inflate(unpacked);
        System.out.println("deflate " + input.length + " -> " + plen + " -> " + ulen + " same " + Arrays.equals(input, unpacked));

        // Threads: a pool, futures, synchronized, wait/notify, atomics, a concurrent map.
        ExecutorService pool = Executors.newFixedThreadPool(4);
        List<Future<Long>> futures = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            final int id = t;
            futures.add(pool.submit(() -> { long x = 0; for (int i = 0; i < 200_000; i++) x += (i * (long) id) % 13; return x; }));
        }
        long total = 0;
        for (Future<Long> fu : futures) total += fu.get();
        System.out.println("futures " + total);
        AtomicLong counter = new AtomicLong();
        ConcurrentHashMap<Integer, Integer> chm = new ConcurrentHashMap<>();
        CountDownLatch latch = new CountDownLatch(4);
        for (int t = 0; t < 4; t++) {
            final int id = t;
            pool.execute(() -> {
                for (int i = 0; i < 10_000; i++) { counter.incrementAndGet(); chm.merge(i % 100, 1, Integer::sum); }
                latch.countDown();
            });
        }
        latch.await();
        System.out.println("atomics " + counter.get() + " chm " + chm.size() + " " + chm.get(42));
        final Object lock = new Object();
        final int[] shared = {0};
        Thread[] ts = new Thread[3];
        for (int t = 0; t < ts.length; t++) {
            ts[t] = new Thread(() -> { for (int i = 0; i < 5000; i++) synchronized (lock) { shared[0]++; } });
            ts[t].start();
        }
        for (Thread t : ts) t.join();
        System.out.println("synchronized " + shared[0]);
        BlockingQueue<Integer> q = new ArrayBlockingQueue<>(4);
        Thread producer = new Thread(() -> { try { for (int i = 1; i <= 100; i++) q.put(i); q.put(-1); } catch (InterruptedException e) { throw new RuntimeException(e); } });
        producer.start();
        long qsum = 0;
        for (int v; (v = q.take()) != -1; ) qsum += v;
        producer.join();
        System.out.println("queue " + qsum);
        int par = IntStream.range(0, 100_000).parallel().map(i -> i % 3).sum();
        System.out.println("parallel stream " + par);
        pool.shutdown();
        System.out.println("pool terminated " + pool.awaitTermination(60, TimeUnit.SECONDS));

        // Files under java.io.tmpdir.
        Path dir = Files.createTempDirectory("kvrm-java");
        Path file = dir.resolve("data.txt");
        Files.write(file, List.of("line one", "line two", unicode), StandardCharsets.UTF_8);
        List<String> back = Files.readAllLines(file, StandardCharsets.UTF_8);
        System.out.println("file " + back.size() + " " + Files.size(file) + " " + back.get(2).equals(unicode));
        Files.delete(file);
        Files.delete(dir);
        System.out.println("gc " + gcWorks());
        System.out.println("done");
    }

    static boolean gcWorks() {
        List<byte[]> junk = new ArrayList<>();
        long sum = 0;
        for (int i = 0; i < 2000; i++) {
            byte[] b = new byte[64 * 1024];
            b[i % b.length] = (byte) i;
            sum += b[i % b.length];
            if (junk.size() < 10) junk.add(b);
        }
        System.gc();
        return sum != 0 && junk.size() == 10;
    }
}
