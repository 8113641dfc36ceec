// The AWS SDK for Go v2 in the end-to-end benchmark (bench/run, docs/benchmarks.md): a compiled
// peer, built from Debian's golang-github-aws-aws-sdk-go-v2-dev in GOPATH mode (no module
// download). Sends the same PutItem/GetItem of the same item as the C++ driver
// (DIR/item-<size>.json, written by `checkpoint_bench prepare`) and appends one JSON record per
// cell to -out, as js_driver.mjs and boto3_driver.py do.
//
//	go_driver -workload save|load|turn -size 1KB -workers 8 -seconds 3 -warmup 1 \
//	    -endpoint URL -table T -dir DIR -server NAME -server-pid PID -out FILE [-ca PEM]
//
// Workers: N goroutines sharing one client (the SDK's advice: clients are safe for concurrent use).
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// serverCPUMs is utime + stime of another process in ms, from /proc/PID/stat.
func serverCPUMs(pid int) float64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return -1
	}
	text := string(data)
	fields := strings.Fields(text[strings.LastIndex(text, ")")+2:])
	utime, _ := strconv.ParseFloat(fields[11], 64)
	stime, _ := strconv.ParseFloat(fields[12], 64)
	return (utime + stime) * 10 // clock ticks of 10 ms
}

func ownCPUMs() float64 {
	var u syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &u)
	return float64(u.Utime.Nano()+u.Stime.Nano()) / 1e6
}

// The item file holds DynamoDB JSON ({"name": {"S": "..."}}, ...) of scalar attributes.
func decodeItem(raw map[string]map[string]interface{}) map[string]types.AttributeValue {
	item := map[string]types.AttributeValue{}
	for name, typed := range raw {
		for t, v := range typed {
			switch t {
			case "S":
				item[name] = &types.AttributeValueMemberS{Value: v.(string)}
			case "N":
				item[name] = &types.AttributeValueMemberN{Value: v.(string)}
			default:
				panic("go_driver: unexpected attribute type " + t + " in " + name)
			}
		}
	}
	return item
}

type phaseResult struct {
	latencies []float64 // microseconds
	errors    int
	first     string
	wall      time.Duration
}

func phase(ops []func() error, seconds float64, minOps int) phaseResult {
	var mu sync.Mutex
	var r phaseResult
	start := time.Now()
	deadline := start.Add(time.Duration(seconds * float64(time.Second)))
	var wg sync.WaitGroup
	for _, op := range ops {
		wg.Add(1)
		go func(op func() error) {
			defer wg.Done()
			var mine []float64
			for n := 0; n < minOps || time.Now().Before(deadline); n++ {
				t0 := time.Now()
				if err := op(); err != nil {
					mu.Lock()
					if r.errors == 0 {
						r.first = err.Error()
					}
					r.errors++
					stop := r.errors > 20
					mu.Unlock()
					if stop {
						break
					}
					continue
				}
				mine = append(mine, float64(time.Since(t0).Nanoseconds())/1e3)
			}
			mu.Lock()
			r.latencies = append(r.latencies, mine...)
			mu.Unlock()
		}(op)
	}
	wg.Wait()
	r.wall = time.Since(start)
	return r
}

func percentile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(p*float64(len(sorted)-1) + 0.5)
	if i >= len(sorted) {
		i = len(sorted) - 1
	}
	return sorted[i]
}

func main() {
	workload := flag.String("workload", "", "save|load|turn")
	size := flag.String("size", "", "1KB, 64KB, 350KB, t10, ...")
	workers := flag.Int("workers", 1, "concurrent loops")
	seconds := flag.Float64("seconds", 3, "measured seconds")
	warmup := flag.Float64("warmup", 1, "warm-up seconds")
	endpoint := flag.String("endpoint", "", "URL")
	table := flag.String("table", "", "table")
	dir := flag.String("dir", "", "item directory")
	server := flag.String("server", "unknown", "server name")
	serverPid := flag.Int("server-pid", 0, "server pid")
	out := flag.String("out", "", "records file")
	caFile := flag.String("ca", "", "PEM bundle that signs an https endpoint's certificate")
	flag.Parse()

	data, err := os.ReadFile(fmt.Sprintf("%s/item-%s.json", *dir, *size))
	if err != nil {
		panic(err)
	}
	var raw map[string]map[string]interface{}
	if err := json.Unmarshal(data, &raw); err != nil {
		panic(err)
	}
	stateBytes := len(raw["state"]["S"].(string))

	ctx := context.Background()
	httpClient := awshttp.NewBuildableClient()
	if *caFile != "" {
		pem, err := os.ReadFile(*caFile)
		if err != nil {
			panic(err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			panic("go_driver: no certificate in " + *caFile)
		}
		httpClient = httpClient.WithTransportOptions(func(tr *http.Transport) {
			if tr.TLSClientConfig == nil {
				tr.TLSClientConfig = &tls.Config{}
			}
			tr.TLSClientConfig.RootCAs = pool
		})
	}
	client := dynamodb.New(dynamodb.Options{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDBENCH", "bench-secret", ""),
		EndpointResolver: dynamodb.EndpointResolverFromURL(*endpoint),
		HTTPClient:       httpClient,
	})

	threadID := func(w int) string {
		if *workload == "load" {
			return fmt.Sprintf("load-%s-w%d", *size, w)
		}
		return fmt.Sprintf("%s-%s-go-w%d", *workload, *size, w)
	}
	// A save is conditional on the version it replaces, as the C++ library's are; the item keeps
	// that version, so the same request succeeds every time.
	put := func(item map[string]types.AttributeValue) error {
		_, err := client.PutItem(ctx, &dynamodb.PutItemInput{
			TableName:                 aws.String(*table),
			Item:                      item,
			ConditionExpression:       aws.String("#v = :v"),
			ExpressionAttributeNames:  map[string]string{"#v": "version"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":v": item["version"]},
		})
		return err
	}
	get := func(key map[string]types.AttributeValue) (map[string]types.AttributeValue, error) {
		out, err := client.GetItem(ctx, &dynamodb.GetItemInput{
			TableName: aws.String(*table), Key: key, ConsistentRead: aws.Bool(true)})
		if err != nil {
			return nil, err
		}
		return out.Item, nil
	}
	ops := make([]func() error, *workers)
	for w := 0; w < *workers; w++ {
		item := decodeItem(raw)
		item["thread_id"] = &types.AttributeValueMemberS{Value: threadID(w)}
		key := map[string]types.AttributeValue{"thread_id": item["thread_id"]}
		switch *workload {
		case "save":
			ops[w] = func() error { return put(item) }
		case "load":
			ops[w] = func() error { _, err := get(key); return err }
		case "turn":
			ops[w] = func() error {
				got, err := get(key)
				if err != nil {
					return err
				}
				return put(got)
			}
		default:
			panic("go_driver: unknown workload " + *workload)
		}
	}

	// Warm up until the throughput is stable (as checkpoint_bench's warm_up): at least -warmup
	// seconds, then until the last three windows' ops/s are within 10 % of each other, at most 4×.
	window := *warmup / 6
	if window > 0.5 {
		window = 0.5
	} else if window < 0.1 {
		window = 0.1
	}
	var rates []float64
	warmOps, warmStable, warmStart := 0, false, time.Now()
	for {
		warm := phase(ops, window, 1)
		if warm.errors > 0 {
			fmt.Fprintln(os.Stderr, "go_driver: warm-up failed:", warm.first)
			os.Exit(1)
		}
		warmOps += len(warm.latencies)
		rates = append(rates, float64(len(warm.latencies))/warm.wall.Seconds())
		if n := len(rates); time.Since(warmStart).Seconds() >= *warmup && n >= 3 {
			lo, hi := rates[n-1], rates[n-1]
			for _, v := range rates[n-3:] {
				if v < lo {
					lo = v
				}
				if v > hi {
					hi = v
				}
			}
			warmStable = hi <= lo*1.1
		}
		if warmStable || time.Since(warmStart).Seconds() >= 4**warmup {
			break
		}
	}
	warmSeconds := time.Since(warmStart).Seconds()
	runtime.GC() // the warm-up's garbage is not the measured phase's
	cpu0 := ownCPUMs()
	server0 := serverCPUMs(*serverPid)
	r := phase(ops, *seconds, 5)
	cpu := ownCPUMs() - cpu0
	sort.Float64s(r.latencies)
	n := float64(len(r.latencies))
	if n == 0 {
		n = 1
	}
	mean := 0.0
	for _, l := range r.latencies {
		mean += l
	}
	record := map[string]interface{}{
		"server": *server, "client": "go", "workload": *workload, "size": *size,
		"state_bytes": stateBytes, "workers": *workers, "ops": len(r.latencies),
		"seconds": r.wall.Seconds(), "p50_ms": percentile(r.latencies, 0.5) / 1e3,
		"p99_ms": percentile(r.latencies, 0.99) / 1e3, "mean_ms": mean / n / 1e3,
		"ops_per_s": float64(len(r.latencies)) / r.wall.Seconds(), "client_cpu_ms_per_op": cpu / n,
		"server_cpu_ms_per_op": nil, "errors": r.errors,
		"warmup_s": warmSeconds, "warmup_ops": warmOps, "warmup_stable": warmStable,
	}
	if *serverPid > 0 {
		record["server_cpu_ms_per_op"] = (serverCPUMs(*serverPid) - server0) / n
	}
	if r.first != "" {
		record["first_error"] = r.first
	}
	line, _ := json.Marshal(record)
	f, err := os.OpenFile(*out, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		panic(err)
	}
	f.Write(append(line, '\n'))
	f.Close()
	if r.errors > 0 {
		os.Exit(1)
	}
}
