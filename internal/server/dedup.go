package server

import (
	"container/list"
	"sync"
	"time"
)

// deliveries remembers recent delivery IDs: at most size of them, each for
// at most ttl, oldest forgotten first.
type deliveries struct {
	mu    sync.Mutex
	size  int
	ttl   time.Duration
	now   func() time.Time
	order *list.List // of seenDelivery, oldest first
	byID  map[string]*list.Element
}

type seenDelivery struct {
	id string
	at time.Time
}

func newDeliveries(size int, ttl time.Duration, now func() time.Time) *deliveries {
	return &deliveries{size: size, ttl: ttl, now: now, order: list.New(), byID: map[string]*list.Element{}}
}

// add records id and reports whether it is new.
func (d *deliveries) add(id string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.now()
	for e := d.order.Front(); e != nil; e = d.order.Front() {
		s := e.Value.(seenDelivery)
		if d.order.Len() < d.size && now.Sub(s.at) < d.ttl {
			break
		}
		d.order.Remove(e)
		delete(d.byID, s.id)
	}
	if _, ok := d.byID[id]; ok {
		return false
	}
	d.byID[id] = d.order.PushBack(seenDelivery{id: id, at: now})
	return true
}

// forget drops id, so a redelivery of it is taken.
func (d *deliveries) forget(id string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if e, ok := d.byID[id]; ok {
		d.order.Remove(e)
		delete(d.byID, id)
	}
}

func (d *deliveries) len() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.order.Len()
}
