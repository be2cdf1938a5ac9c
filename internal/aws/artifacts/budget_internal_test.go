package artifacts

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestBudgetGrantsInArrivalOrderWithinItsSize(t *testing.T) {
	b := NewBudget(10)
	ctx := context.Background()
	a, err := b.acquire(ctx, 6)
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan int64, 2)
	go func() { // 6 more: must wait for a
		buf, _ := b.acquire(ctx, 6)
		got <- int64(len(*buf))
		b.release(buf)
	}()
	waitFor(t, func() bool { b.mu.Lock(); defer b.mu.Unlock(); return len(b.waiters) == 1 })
	go func() { // 4 would fit now, but arrived after the 6: FIFO
		buf, _ := b.acquire(ctx, 4)
		got <- int64(len(*buf))
		b.release(buf)
	}()
	waitFor(t, func() bool { b.mu.Lock(); defer b.mu.Unlock(); return len(b.waiters) == 2 })
	select {
	case n := <-got:
		t.Fatalf("a %d-byte buffer was granted while 6 of 10 bytes were held and a 6 was waiting", n)
	case <-time.After(20 * time.Millisecond):
	}
	b.release(a)
	if first, second := <-got, <-got; first+second != 10 {
		t.Errorf("granted %d and %d, want 6 and 4", first, second)
	}
	if p := b.Peak(); p > 10 {
		t.Errorf("peak %d bytes, over the budget of 10", p)
	}
}

func TestBudgetReusesBuffersAndDropsWhatDoesNotFit(t *testing.T) {
	b := NewBudget(16)
	ctx := context.Background()
	x, _ := b.acquire(ctx, 8)
	b.release(x)
	y, _ := b.acquire(ctx, 8)
	if &(*x)[0] != &(*y)[0] {
		t.Error("a released buffer of the same size was not reused")
	}
	b.release(y)
	z, _ := b.acquire(ctx, 12) // 8 kept + 12 > 16: the 8 is dropped
	if p := b.Peak(); p > 16 {
		t.Errorf("peak %d bytes, over the budget of 16", p)
	}
	b.release(z)
	small, _ := b.acquire(ctx, 3) // reuses the 12 (no garbage), counted as 12
	if cap(*small) != 12 || len(*small) != 3 {
		t.Errorf("got len %d cap %d, want the free 12-byte buffer resliced to 3", len(*small), cap(*small))
	}
	if b.held != 12 {
		t.Errorf("held %d, want the buffer's capacity, 12", b.held)
	}
	b.release(small)
	if b.held != 0 || b.freeCap != 12 {
		t.Errorf("held %d, free %d after release, want 0 and 12", b.held, b.freeCap)
	}
}

func TestBudgetPartLargerThanTheBudgetRunsAlone(t *testing.T) {
	b := NewBudget(10)
	ctx := context.Background()
	small, _ := b.acquire(ctx, 3)
	done := make(chan struct{})
	go func() {
		big, _ := b.acquire(ctx, 25)
		if len(*big) != 25 {
			t.Errorf("got %d bytes, want 25", len(*big))
		}
		b.release(big)
		close(done)
	}()
	select {
	case <-done:
		t.Fatal("the oversized buffer was granted beside another")
	case <-time.After(20 * time.Millisecond):
	}
	b.release(small)
	<-done
}

func TestBudgetWaitEndsWithTheContext(t *testing.T) {
	b := NewBudget(10)
	held, _ := b.acquire(context.Background(), 10)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error)
	go func() {
		_, err := b.acquire(ctx, 5)
		errc <- err
	}()
	waitFor(t, func() bool { b.mu.Lock(); defer b.mu.Unlock(); return len(b.waiters) == 1 })
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("acquire = %v, want context.Canceled", err)
	}
	b.release(held)
	if b.held != 0 || len(b.waiters) != 0 {
		t.Errorf("held %d, %d waiters after all were released", b.held, len(b.waiters))
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatal("condition not reached")
}
