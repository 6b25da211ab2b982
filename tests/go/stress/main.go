// Many goroutines on 8 Ps at once: a token ring over unbuffered channels,
// timers firing while CPU-bound goroutines run (preempted by SIGURG),
// garbage collections and sync.Pool, a fan-in over select. Only totals
// are printed.
package main

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

func ring(n, laps int) int {
	chans := make([]chan int, n)
	for i := range chans {
		chans[i] = make(chan int)
	}
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			in, out := chans[i], chans[(i+1)%n]
			for v := range in {
				if v == n*laps {
					close(out)
					for range in {
					}
					return
				}
				out <- v + 1
			}
			close(out)
		}(i)
	}
	chans[0] <- 0
	wg.Wait()
	return n * laps
}

func main() {
	runtime.GOMAXPROCS(8)
	fmt.Println("ring passes", ring(200, 20))

	var ticks int64
	var spins int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			x := 0
			for {
				select {
				case <-stop:
					atomic.AddInt64(&spins, 1)
					return
				default:
				}
				for k := 0; k < 100000; k++ {
					x = x*31 + k
				}
			}
		}()
	}
	var pool = sync.Pool{New: func() interface{} { return make([]byte, 4096) }}
	for i := 0; i < 30; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			t := time.NewTimer(time.Duration(i%7+1) * time.Millisecond)
			<-t.C
			b := pool.Get().([]byte)
			b[0] = byte(i)
			pool.Put(b)
			atomic.AddInt64(&ticks, 1)
		}(i)
	}
	time.Sleep(30 * time.Millisecond)
	runtime.GC()
	close(stop)
	wg.Wait()
	fmt.Println("timers fired", atomic.LoadInt64(&ticks), "spinners stopped", atomic.LoadInt64(&spins))

	sources := make([]chan int, 6)
	for i := range sources {
		sources[i] = make(chan int, 3)
		go func(c chan int, base int) {
			for k := 0; k < 500; k++ {
				c <- base + k
			}
			close(c)
		}(sources[i], i*1000)
	}
	sum, open := 0, len(sources)
	for open > 0 {
		select {
		case v, ok := <-sources[0]:
			sum, open = add(sum, v, ok, &sources[0], open)
		case v, ok := <-sources[1]:
			sum, open = add(sum, v, ok, &sources[1], open)
		case v, ok := <-sources[2]:
			sum, open = add(sum, v, ok, &sources[2], open)
		case v, ok := <-sources[3]:
			sum, open = add(sum, v, ok, &sources[3], open)
		case v, ok := <-sources[4]:
			sum, open = add(sum, v, ok, &sources[4], open)
		case v, ok := <-sources[5]:
			sum, open = add(sum, v, ok, &sources[5], open)
		}
	}
	fmt.Println("fan-in sum", sum)
}

func add(sum, v int, ok bool, c *chan int, open int) (int, int) {
	if !ok {
		*c = nil
		return sum, open - 1
	}
	return sum + v, open
}
