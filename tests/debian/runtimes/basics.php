<?php
// PHP 8.2: arrays and sorting, math, JSON, hashes, PCRE, generators, dates.
$a = [];
for ($i = 0; $i < 100000; $i++) $a[] = ($i * 7919) % 100003;
sort($a);
$s = 0;
foreach ($a as $i => $v) $s += $v * $i;
echo $s, "\n", sprintf("%.12f %e %05d", sin(1.234), 6.02e23, 42), "\n";
echo json_encode(["a" => [1, 2.5, null, "x"], "u" => "é"]), "\n";
echo md5("abc"), " ", hash("sha256", "abc"), " ", crc32("hello"), " ", base64_encode("kvrm"), "\n";
echo preg_replace('/(\w+) (\w+)/', '$2 $1', "hello world"), " ", preg_match_all('/\d+/', "a1b22c333"), "\n";
echo str_pad(decbin(255), 12, "0", STR_PAD_LEFT), " ", intdiv(PHP_INT_MAX, 7), " ", 0.1 + 0.2, " ", PHP_INT_MAX + 1, "\n";
function fib($n) { return $n < 2 ? $n : fib($n - 1) + fib($n - 2); }
echo fib(22), "\n";
$gen = (function () { for ($i = 1; $i <= 3; $i++) yield $i => $i * $i; })();
foreach ($gen as $k => $g) echo "$k:$g ";
echo "\n", date("Y-m-d H:i", 86400 * 365 + 3600), " ", number_format(1234567.891, 2), "\n";
$m = array_map(fn($x) => $x ** 2, range(1, 5));
echo implode(",", $m), " ", array_sum($m), " ", max($m), "\n";
usort($m, fn($x, $y) => $y <=> $x);
echo implode(",", $m), " ", ucwords("kvrm runs php"), " ", strrev("abc"), "\n";
try { throw new RuntimeException("bad", 7); } catch (Exception $e) { echo get_class($e), " ", $e->getCode(), "\n"; }
