// Goroutines on several threads: a chained prime sieve, a worker pool,
// a mutex-protected counter, sync.Once, atomics and select.
package main

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
)

func generate(ch chan<- int) {
	for i := 2; ; i++ {
		ch <- i
	}
}

func filter(in <-chan int, out chan<- int, prime int) {
	for {
		i := <-in
		if i%prime != 0 {
			out <- i
		}
	}
}

func sieve(n int) []int {
	ch := make(chan int)
	go generate(ch)
	primes := make([]int, 0, n)
	for i := 0; i < n; i++ {
		prime := <-ch
		primes = append(primes, prime)
		ch1 := make(chan int)
		go filter(ch, ch1, prime)
		ch = ch1
	}
	return primes
}

func collatz(n int) int {
	steps := 0
	for n != 1 {
		if n%2 == 0 {
			n /= 2
		} else {
			n = 3*n + 1
		}
		steps++
	}
	return steps
}

func workerPool(jobs, workers int) (int, int) {
	in := make(chan int, 16)
	out := make(chan [2]int, 16)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range in {
				out <- [2]int{j, collatz(j)}
			}
		}()
	}
	go func() {
		for j := 1; j <= jobs; j++ {
			in <- j
		}
		close(in)
	}()
	go func() {
		wg.Wait()
		close(out)
	}()
	sum, best, bestAt := 0, 0, 0
	for r := range out {
		sum += r[1]
		if r[1] > best || (r[1] == best && r[0] < bestAt) {
			best, bestAt = r[1], r[0]
		}
	}
	return sum, bestAt
}

func main() {
	runtime.GOMAXPROCS(4)
	p := sieve(100)
	fmt.Println("primes:", len(p), "first", p[:10], "last", p[len(p)-1])

	sum, at := workerPool(3000, 8)
	fmt.Println("collatz steps total", sum, "longest from", at)

	var mu sync.Mutex
	var wg sync.WaitGroup
	counter := 0
	var atomicCounter int64
	var once sync.Once
	onceRuns := 0
	for g := 0; g < 50; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			once.Do(func() { onceRuns++ })
			for i := 0; i < 1000; i++ {
				mu.Lock()
				counter++
				mu.Unlock()
				atomic.AddInt64(&atomicCounter, 2)
				if i%100 == 0 {
					runtime.Gosched()
				}
			}
		}()
	}
	wg.Wait()
	fmt.Println("mutex counter", counter, "atomic counter", atomic.LoadInt64(&atomicCounter), "once", onceRuns)

	var rw sync.RWMutex
	cond := sync.NewCond(&mu)
	ready := 0
	m := map[int]int{}
	for g := 0; g < 10; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			rw.Lock()
			m[g] = g * g
			rw.Unlock()
			mu.Lock()
			ready++
			cond.Broadcast()
			mu.Unlock()
		}(g)
	}
	mu.Lock()
	for ready < 10 {
		cond.Wait()
	}
	mu.Unlock()
	wg.Wait()
	rw.RLock()
	total := 0
	for _, v := range m {
		total += v
	}
	rw.RUnlock()
	fmt.Println("cond ready", ready, "map total", total)

	a, b := make(chan int), make(chan int)
	done := make(chan struct{})
	go func() {
		for i := 0; i < 5; i++ {
			a <- i
		}
		close(done)
	}()
	got := 0
	defaults := false
	for loop := true; loop; {
		select {
		case v := <-a:
			got += v
		case <-b:
			fmt.Println("never")
		case <-done:
			loop = false
		}
	}
	select {
	case <-b:
	default:
		defaults = true
	}
	fmt.Println("select got", got, "default taken", defaults)
}
