// fmt, strconv, sort, strings, math/big, regexp: lots of allocation and formatting work.
package main

import (
	"bytes"
	"fmt"
	"math"
	"math/big"
	"math/rand"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode"
)

func main() {
	fmt.Printf("%d|%5d|%-5d|%05d|%x|%X|%o|%b|%c|%q|%U\n", 42, 42, 42, 42, 255, 255, 8, 5, 'λ', 'λ', 'λ')
	fmt.Printf("%f|%.2f|%e|%g|%G|%8.3f|%v\n", math.Pi, math.E, 1e21, 1e-7, 2.5e30, -1.0/3, math.Inf(-1))
	fmt.Printf("%s|%10s|%-10s|%q|%x|% x\n", "go", "right", "left", "tab\there", "hex", "hex")
	fmt.Printf("%v|%+v|%#v|%T\n", []int{1, 2}, struct{ A int }{1}, map[string]int{"z": 1}, 3.0)
	fmt.Printf("%t|%p|%v\n", true, nil, [3]bool{true})

	for _, s := range []string{"123", "-9223372036854775808", "0x1f", "1e3", "abc", "99999999999999999999"} {
		i, err := strconv.ParseInt(s, 0, 64)
		f, ferr := strconv.ParseFloat(s, 64)
		fmt.Println(s, i, err, f, ferr)
	}
	fmt.Println(strconv.FormatFloat(1.0/3, 'g', -1, 64), strconv.FormatFloat(2.0/3, 'e', 10, 32),
		strconv.Quote("hi\n\"☃\""), strconv.Itoa(-77), strconv.FormatInt(-255, 16))

	r := rand.New(rand.NewSource(7))
	nums := make([]int, 20000)
	for i := range nums {
		nums[i] = r.Intn(1000000)
	}
	sort.Ints(nums)
	fmt.Println("sorted", sort.IntsAreSorted(nums), nums[0], nums[len(nums)/2], nums[len(nums)-1])
	words := strings.Fields("the quick brown fox jumps over the lazy dog and the cat")
	sort.SliceStable(words, func(i, j int) bool { return len(words[i]) < len(words[j]) })
	fmt.Println(words)
	fl := []float64{3.5, -1, math.NaN(), 2, 0}
	sort.Float64s(fl)
	fmt.Println(fl, sort.SearchInts(nums, nums[100]))

	var sb strings.Builder
	for i := 0; i < 5000; i++ {
		sb.WriteString(strconv.Itoa(i * 7))
		sb.WriteByte(',')
	}
	s := sb.String()
	fmt.Println(len(s), strings.Count(s, "7"), strings.Index(s, "4999"), strings.LastIndex(s, ",3"))
	fmt.Println(strings.ToUpper("héllo wörld"), strings.Title("go is fun"), strings.Repeat("ab", 5),
		strings.Replace("aaaa", "a", "b", 2), strings.Split("a,b,,c", ","), strings.TrimSpace("  x  "),
		strings.Map(func(r rune) rune {
			if unicode.IsDigit(r) {
				return -1
			}
			return unicode.ToUpper(r)
		}, "a1b2c3"))
	fmt.Println(bytes.Equal([]byte("x"), []byte("x")), bytes.ToLower([]byte("ABC")))

	re := regexp.MustCompile(`(\w+)@(\w+)\.com`)
	fmt.Println(re.FindAllStringSubmatch("ann@foo.com, bob@bar.com; bad@x.org", -1))
	fmt.Println(re.ReplaceAllString("mail ann@foo.com now", "<$2:$1>"))

	f := big.NewInt(1)
	for i := int64(1); i <= 200; i++ {
		f.Mul(f, big.NewInt(i))
	}
	fs := f.String()
	fmt.Println("200! has", len(fs), "digits:", fs[:20], "...", fs[len(fs)-60:])
	q := new(big.Rat).SetFrac64(355, 113)
	fmt.Println(q.FloatString(30), new(big.Int).Exp(big.NewInt(3), big.NewInt(300), big.NewInt(1000000007)))

	h := 0.0
	for i := 1; i <= 100000; i++ {
		h += 1 / float64(i)
	}
	fmt.Printf("harmonic %.15f sqrt2 %.17g sin %.17g exp %.17g\n", h, math.Sqrt(2), math.Sin(1e6), math.Exp(-3.7))
}
