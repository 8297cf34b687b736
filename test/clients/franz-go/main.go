// A franz-go (kgo) client against the daemon's Kafka listener, with kgo's defaults: an idempotent
// producer compressing with snappy, and the classic group protocol. It produces keyed records
// (a header on each, a tombstone among them) to a topic of 3 partitions, reads them back in a
// group of two members (each record once), commits, and prints what it saw as JSON for the test
// (test/kafka/kafka-listener-foreign-clients.test.ts) to check.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

const records = 3000

type report struct {
	Acked        int             `json:"acked"`
	Failed       []string        `json:"failed"`
	Received     int             `json:"received"`
	Distinct     int             `json:"distinct"`
	Tombstones   int             `json:"tombstones"`
	HeadersMatch bool            `json:"headers_match"`
	ValuesMatch  bool            `json:"values_match_keys"`
	PerMember    []int           `json:"per_member"`
	Committed    map[int32]int64 `json:"committed"`
	// batches the producer wrote, by compression (0 none, 2 snappy)
	Compressions map[uint8]int   `json:"compressions"`
	Ends         map[int32]int64 `json:"ends"`
}

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: franz-go-check <bootstrap> <topic> <group>")
		os.Exit(2)
	}
	seed, topic, group := os.Args[1], os.Args[2], os.Args[3]
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out := report{Failed: []string{}, Committed: map[int32]int64{}, Ends: map[int32]int64{}, Compressions: map[uint8]int{}}

	admin, err := kgo.NewClient(kgo.SeedBrokers(seed))
	fail(err)
	adm := kadm.NewClient(admin)
	_, err = adm.CreateTopic(ctx, 3, 1, nil, topic)
	fail(err)

	// two members of one group share the partitions; together they see every record once
	var mu sync.Mutex
	seen := map[string]int{}
	out.HeadersMatch, out.ValuesMatch = true, true
	out.PerMember = make([]int, 2)
	members := make([]*kgo.Client, 2)
	var assigned sync.WaitGroup
	for m := range members {
		var once sync.Once
		assigned.Add(1)
		members[m], err = kgo.NewClient(kgo.SeedBrokers(seed), kgo.ConsumerGroup(group), kgo.ConsumeTopics(topic),
			kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.DisableAutoCommit(),
			kgo.OnPartitionsAssigned(func(_ context.Context, _ *kgo.Client, _ map[string][]int32) { once.Do(assigned.Done) }))
		fail(err)
	}
	var consumers sync.WaitGroup
	for m, member := range members {
		consumers.Add(1)
		go func(m int, member *kgo.Client) {
			defer consumers.Done()
			for {
				mu.Lock()
				done := len(seen) >= records
				mu.Unlock()
				if done || ctx.Err() != nil {
					return
				}
				poll, cancelPoll := context.WithTimeout(ctx, 500*time.Millisecond)
				fetches := member.PollFetches(poll)
				cancelPoll()
				fetches.EachRecord(func(r *kgo.Record) {
					mu.Lock()
					defer mu.Unlock()
					key := string(r.Key)
					seen[key]++
					out.Received++
					out.PerMember[m]++
					if r.Value == nil {
						out.Tombstones++
					} else if string(r.Value) != "v"+key[1:] {
						out.ValuesMatch = false
					}
					if len(r.Headers) != 1 || r.Headers[0].Key != "n" || string(r.Headers[0].Value) != key[1:] {
						out.HeadersMatch = false
					}
				})
				if err := member.CommitUncommittedOffsets(ctx); err != nil {
					mu.Lock()
					out.Failed = append(out.Failed, "commit: "+err.Error())
					mu.Unlock()
				}
			}
		}(m, member)
	}
	// both members hold partitions before anything is produced
	waitOrFail(&assigned, ctx, "both members assigned")
	written := batchesWritten{by: out.Compressions}
	producer, err := kgo.NewClient(kgo.SeedBrokers(seed), kgo.WithHooks(&written)) // kgo's defaults: idempotent, snappy
	fail(err)
	var wg sync.WaitGroup
	for i := 0; i < records; i++ {
		value := []byte("v" + strconv.Itoa(i))
		if i%500 == 7 {
			value = nil // a tombstone
		}
		record := &kgo.Record{
			Topic:   topic,
			Key:     []byte("k" + strconv.Itoa(i)),
			Value:   value,
			Headers: []kgo.RecordHeader{{Key: "n", Value: []byte(strconv.Itoa(i))}},
		}
		wg.Add(1)
		producer.Produce(ctx, record, func(_ *kgo.Record, err error) {
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				out.Failed = append(out.Failed, err.Error())
			} else {
				out.Acked++
			}
			wg.Done()
		})
	}
	wg.Wait()
	producer.Close()

	consumers.Wait()
	for _, member := range members {
		member.Close()
	}
	out.Distinct = len(seen)

	committed, err := adm.FetchOffsets(ctx, group)
	fail(err)
	committed.Each(func(o kadm.OffsetResponse) { out.Committed[o.Partition] = o.At })
	ends, err := adm.ListEndOffsets(ctx, topic)
	fail(err)
	ends.Each(func(o kadm.ListedOffset) { out.Ends[o.Partition] = o.Offset })
	admin.Close()

	fail(json.NewEncoder(os.Stdout).Encode(out))
}

// batchesWritten counts the batches the broker acknowledged, by their compression.
type batchesWritten struct {
	mu sync.Mutex
	by map[uint8]int
}

func (w *batchesWritten) OnProduceBatchWritten(_ kgo.BrokerMetadata, _ string, _ int32, metrics kgo.ProduceBatchMetrics) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.by[metrics.CompressionType]++
}

func waitOrFail(group *sync.WaitGroup, ctx context.Context, what string) {
	done := make(chan struct{})
	go func() { group.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		fail(fmt.Errorf("timed out waiting for %s", what))
	}
}

func fail(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "franz-go-check:", err)
		os.Exit(1)
	}
}
