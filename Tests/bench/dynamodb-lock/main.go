// dynamodb-lock measures the DynamoDB state lock of Terraform's s3 backend (`dynamodb_table`) against a
// DynamoDB endpoint on the loopback interface: the requests are the ones Terraform sends (AWS JSON 1.0,
// `X-Amz-Target: DynamoDB_20120810.<Op>`, SigV4 for the service `dynamodb`), signed here with the standard
// library only. Every run prints one JSON line on stdout; progress and the first error go to stderr.
//
//	go build -o dynamodb-lock .        (GOTOOLCHAIN=local GOPROXY=off: there are no dependencies)
//	./dynamodb-lock -mode cycle      -endpoint http://127.0.0.1:9000 -table tf-locks -c 1 -duration 10s -server-pid PID
//	./dynamodb-lock -mode contention -endpoint http://127.0.0.1:9000 -table tf-locks -c 8 -duration 10s -server-pid PID
//	./dynamodb-lock -mode wait-quiet -max-busy 0.15 -max-wait 5m
//	./dynamodb-lock -mode null-server -listen 127.0.0.1:19460   (the client's own ceiling on this machine)
//
// cycle: every worker owns one LockID and repeats Terraform's lock and unlock: PutItem {LockID, Info} with
// `ConditionExpression: attribute_not_exists(LockID)` (must succeed), then DeleteItem of the key (no condition, as
// Terraform). With -unlock-check the GetItem of Info that Terraform's Unlock does first is added. Reports cycles/s,
// cycle and per-request latency percentiles, and the server's CPU seconds per cycle (utime+stime from
// /proc/PID/stat before and after the timed part).
//
// contention: all workers race PutItem on ONE LockID. A winner marks itself as holder (a second holder at that
// moment is a violation), sends another conditional PutItem on the same key, which must fail with
// ConditionalCheckFailedException (a success is a violation), reads the item back with GetItem (ConsistentRead) and
// checks that Info is its own (anything else is a violation), optionally sleeps -hold, stops being holder, and only
// then sends the DeleteItem. `violations` must be 0.
//
// Before either, a probe checks on a separate key that a second conditional PutItem is refused
// (`condition_honoured`). Responses carrying X-Amz-Crc32 are checked as the AWS SDKs check them (a mismatch is an
// error: the SDK would retry the request).
package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

const (
	jsonContentType = "application/x-amz-json-1.0"
	targetPrefix    = "DynamoDB_20120810."
	service         = "dynamodb"
	// What Terraform 1.0.3 (aws-sdk-go 1.37) sends as User-Agent; not signed.
	userAgent = "aws-sdk-go/1.37.0 (go1.16.4; linux; amd64) APN/1.0 HashiCorp/1.0 Terraform/1.0.3 dynamodb-lock-bench"
)

// ---------------------------------------------------------------------------
// Ordered JSON output

type kv struct {
	k string
	v interface{}
}

// obj is a JSON object that keeps its keys in insertion order.
type obj []kv

func (o *obj) add(k string, v interface{}) { *o = append(*o, kv{k, v}) }

func (o obj) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, e := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, err := marshalNoEscape(e.k)
		if err != nil {
			return nil, err
		}
		b.Write(kb)
		b.WriteByte(':')
		vb, err := marshalNoEscape(e.v)
		if err != nil {
			return nil, err
		}
		b.Write(vb)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func marshalNoEscape(v interface{}) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

func emit(o obj) {
	b, err := marshalNoEscape(o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "json:", err)
		os.Exit(1)
	}
	os.Stdout.Write(append(b, '\n'))
}

func r3(x float64) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return 0
	}
	return math.Round(x*1000) / 1000
}

func ms(d time.Duration) float64 { return r3(float64(d) / float64(time.Millisecond)) }

// summarize sorts d in place and returns count, percentiles (nearest rank), max and mean in milliseconds.
func summarize(d []time.Duration) obj {
	if len(d) == 0 {
		return obj{{"n", 0}}
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	pct := func(p float64) float64 {
		idx := int(math.Ceil(p/100*float64(len(d)))) - 1
		if idx < 0 {
			idx = 0
		}
		if idx >= len(d) {
			idx = len(d) - 1
		}
		return ms(d[idx])
	}
	var sum time.Duration
	for _, x := range d {
		sum += x
	}
	return obj{
		{"n", len(d)},
		{"p50", pct(50)},
		{"p90", pct(90)},
		{"p99", pct(99)},
		{"max", ms(d[len(d)-1])},
		{"mean", ms(sum / time.Duration(len(d)))},
	}
}

// ---------------------------------------------------------------------------
// Error accounting

type errTracker struct {
	n     atomic.Int64
	mu    sync.Mutex
	first string
	kinds map[string]int64
}

func newErrTracker() *errTracker { return &errTracker{kinds: map[string]int64{}} }

func (e *errTracker) add(kind, detail string) {
	e.n.Add(1)
	e.mu.Lock()
	defer e.mu.Unlock()
	e.kinds[kind]++
	if e.first == "" {
		e.first = detail
		fmt.Fprintln(os.Stderr, "dynamodb-lock: first error:", detail)
	}
}

func (e *errTracker) report(o *obj) {
	o.add("errors", e.n.Load())
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.kinds) > 0 {
		o.add("error_kinds", e.kinds)
	}
	if e.first != "" {
		o.add("first_error", e.first)
	}
}

func truncate(b []byte, n int) string {
	s := string(b)
	if len(s) > n {
		s = s[:n] + "…"
	}
	return strings.TrimSpace(s)
}

// ---------------------------------------------------------------------------
// AWS Signature Version 4 (header authentication) for DynamoDB: POST /, no query string, the payload hash is the
// SHA-256 of the JSON body and, as in the AWS SDKs for every service but S3, it is not sent as a header.

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

func sha256hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func deriveSigningKey(secret, date, region, svc string) []byte {
	k := hmacSHA256([]byte("AWS4"+secret), date)
	k = hmacSHA256(k, region)
	k = hmacSHA256(k, svc)
	return hmacSHA256(k, "aws4_request")
}

func collapseSpaces(v string) string {
	v = strings.TrimSpace(v)
	if !strings.Contains(v, "  ") {
		return v
	}
	return strings.Join(strings.Fields(v), " ")
}

// canonicalRequest builds the SigV4 canonical request; headers are (name, value) pairs, names are lower-cased and
// sorted, repeated names joined with ','. It returns the request and the SignedHeaders list.
func canonicalRequest(method, uri, query string, headers [][2]string, payloadHash string) (string, string) {
	merged := map[string][]string{}
	var names []string
	for _, h := range headers {
		n := strings.ToLower(h[0])
		if _, ok := merged[n]; !ok {
			names = append(names, n)
		}
		merged[n] = append(merged[n], collapseSpaces(h[1]))
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString(method + "\n" + uri + "\n" + query + "\n")
	for _, n := range names {
		b.WriteString(n + ":" + strings.Join(merged[n], ",") + "\n")
	}
	signed := strings.Join(names, ";")
	b.WriteString("\n" + signed + "\n" + payloadHash)
	return b.String(), signed
}

// signer computes Authorization headers and caches the signing key per day.
type signer struct {
	accessKey, secretKey, region, service string

	mu      sync.Mutex
	keyDate string
	key     []byte
}

func (s *signer) signingKey(date string) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.keyDate != date {
		s.key = deriveSigningKey(s.secretKey, date, s.region, s.service)
		s.keyDate = date
	}
	return s.key
}

func (s *signer) authorization(method, uri, query string, headers [][2]string, payloadHash, amzDate string) string {
	creq, signed := canonicalRequest(method, uri, query, headers, payloadHash)
	date := amzDate[:8]
	scope := date + "/" + s.region + "/" + s.service + "/aws4_request"
	sts := "AWS4-HMAC-SHA256\n" + amzDate + "\n" + scope + "\n" + sha256hex([]byte(creq))
	sig := hex.EncodeToString(hmacSHA256(s.signingKey(date), sts))
	return "AWS4-HMAC-SHA256 Credential=" + s.accessKey + "/" + scope + ", SignedHeaders=" + signed + ", Signature=" + sig
}

// ---------------------------------------------------------------------------
// DynamoDB JSON client

type client struct {
	scheme, host string
	sg           *signer
	hc           *http.Client
	timeout      time.Duration
	errs         *errTracker
}

type result struct {
	status  int
	header  http.Header
	body    []byte
	dur     time.Duration
	errType string // DynamoDB error code ("ConditionalCheckFailedException"), "" on success
}

func newClient(endpoint, accessKey, secretKey, region string, conns int, timeout time.Duration) (*client, error) {
	u, err := url.Parse(endpoint)
	if err != nil {
		return nil, err
	}
	if u.Scheme != "http" {
		return nil, fmt.Errorf("endpoint %q: scheme must be http", endpoint)
	}
	if err := loopbackOnly(u.Hostname()); err != nil {
		return nil, err
	}
	if conns < 1 {
		conns = 1
	}
	tr := &http.Transport{
		Proxy: nil,
		DialContext: (&net.Dialer{
			Timeout:   5 * time.Second,
			KeepAlive: 30 * time.Second,
			Control:   loopbackDialControl,
		}).DialContext,
		MaxIdleConns:        conns + 8,
		MaxIdleConnsPerHost: conns + 8,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
	}
	return &client{
		scheme: u.Scheme,
		host:   u.Host,
		sg:     &signer{accessKey: accessKey, secretKey: secretKey, region: region, service: service},
		hc: &http.Client{
			Transport:     tr,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		timeout: timeout,
		errs:    newErrTracker(),
	}, nil
}

// loopbackDialControl refuses any connection whose resolved address is not a loopback address.
func loopbackDialControl(network, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("refusing to connect to non-loopback address %s", address)
	}
	return nil
}

func loopbackOnly(host string) error {
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("endpoint host %q is not a loopback address: only 127.0.0.0/8, ::1 or localhost", host)
	}
	return nil
}

// call sends one signed DynamoDB request. The signed headers are the ones aws-sdk-go v1 (Terraform 1.0-1.5) signs
// for DynamoDB: accept-encoding (identity, set by the SDK's DynamoDB customization for its CRC32 check),
// content-length, content-type, host, x-amz-date, x-amz-target.
func (c *client) call(op string, body []byte) (*result, error) {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.scheme+"://"+c.host+"/", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.ContentLength = int64(len(body))
	amzDate := time.Now().UTC().Format("20060102T150405Z")
	req.Header.Set("Accept-Encoding", "identity")
	req.Header.Set("Content-Type", jsonContentType)
	req.Header.Set("X-Amz-Date", amzDate)
	req.Header.Set("X-Amz-Target", targetPrefix+op)
	req.Header.Set("User-Agent", userAgent)
	hdrs := [][2]string{
		{"accept-encoding", "identity"},
		{"content-length", strconv.Itoa(len(body))},
		{"content-type", jsonContentType},
		{"host", c.host},
		{"x-amz-date", amzDate},
		{"x-amz-target", targetPrefix + op},
	}
	req.Header.Set("Authorization", c.sg.authorization(http.MethodPost, "/", "", hdrs, sha256hex(body), amzDate))

	start := time.Now()
	resp, err := c.hc.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	defer resp.Body.Close()
	var bb bytes.Buffer
	_, err = bb.ReadFrom(io.LimitReader(resp.Body, 16<<20))
	res := &result{status: resp.StatusCode, header: resp.Header, body: bb.Bytes(), dur: time.Since(start)}
	if err != nil {
		return res, fmt.Errorf("%s: reading response body: %w", op, err)
	}
	if v := resp.Header.Get("X-Amz-Crc32"); v != "" {
		want, perr := strconv.ParseUint(v, 10, 32)
		if got := crc32.ChecksumIEEE(res.body); perr != nil || uint32(want) != got {
			return res, fmt.Errorf("%s: X-Amz-Crc32 %q does not match the body (CRC32 %d): the SDK would retry", op, v, got)
		}
	}
	if resp.StatusCode != 200 {
		res.errType = errorCode(resp.Header, res.body)
	}
	return res, nil
}

// errorCode returns the DynamoDB error code of a failed request, from the JSON `__type` (the part after '#') or the
// X-Amzn-ErrorType header (the part before ':'), as the SDKs read it.
func errorCode(h http.Header, body []byte) string {
	var e struct {
		Type string `json:"__type"`
	}
	if json.Unmarshal(body, &e) == nil && e.Type != "" {
		if i := strings.LastIndexByte(e.Type, '#'); i >= 0 {
			return e.Type[i+1:]
		}
		return e.Type
	}
	if v := h.Get("X-Amzn-ErrorType"); v != "" {
		if i := strings.IndexByte(v, ':'); i >= 0 {
			return v[:i]
		}
		return v
	}
	return "unknown"
}

// describe renders a request and its answer for error reports: operation, request body, status, the response
// headers that matter, response body.
func describe(op string, reqBody []byte, r *result, err error) string {
	s := fmt.Sprintf("request: POST / X-Amz-Target: %s%s body %s", targetPrefix, op, truncate(reqBody, 600))
	if err != nil {
		s += " -> error: " + err.Error()
	}
	if r != nil {
		s += fmt.Sprintf(" -> response: HTTP %d", r.status)
		for _, h := range []string{"Content-Type", "X-Amzn-ErrorType", "X-Amz-Crc32", "X-Amzn-Requestid"} {
			if v := r.header.Get(h); v != "" {
				s += fmt.Sprintf(" %s: %s;", h, v)
			}
		}
		s += " body " + truncate(r.body, 800)
	}
	return s
}

// ok records an error unless the request got a 200 (or, with wantErr, that DynamoDB error code).
func (c *client) ok(op string, reqBody []byte, r *result, err error, wantErr string) bool {
	switch {
	case err != nil:
		c.errs.add(op+": transport", describe(op, reqBody, r, err))
		return false
	case wantErr == "" && r.status == 200:
		return true
	case wantErr != "" && r.errType == wantErr:
		return true
	}
	kind := fmt.Sprintf("%s: HTTP %d", op, r.status)
	if r.errType != "" {
		kind += " " + r.errType
	}
	if wantErr != "" {
		kind += " (expected " + wantErr + ")"
	}
	c.errs.add(kind, describe(op, reqBody, r, err))
	return false
}

// ---------------------------------------------------------------------------
// The requests Terraform's s3 backend sends (internal/backend/remote-state/s3/client.go)

type attr struct {
	S string `json:"S"`
}

func putItemBody(table, lockID string, info []byte) []byte {
	b, _ := json.Marshal(struct {
		ConditionExpression string
		Item                map[string]attr
		TableName           string
	}{"attribute_not_exists(LockID)", map[string]attr{"LockID": {lockID}, "Info": {string(info)}}, table})
	return b
}

func deleteItemBody(table, lockID string) []byte {
	b, _ := json.Marshal(struct {
		Key       map[string]attr
		TableName string
	}{map[string]attr{"LockID": {lockID}}, table})
	return b
}

func getItemBody(table, lockID string) []byte {
	b, _ := json.Marshal(struct {
		ConsistentRead       bool
		Key                  map[string]attr
		ProjectionExpression string
		TableName            string
	}{true, map[string]attr{"LockID": {lockID}}, "LockID, Info", table})
	return b
}

// infoOf returns the Info string of a GetItem answer ("" when absent).
func infoOf(body []byte) string {
	var g struct {
		Item map[string]attr
	}
	if json.Unmarshal(body, &g) != nil {
		return ""
	}
	return g.Item["Info"].S
}

func randHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

func uuidv4() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// lockInfo is statemgr.LockInfo as Terraform 1.0.3 marshals it (Go field order, compact). Who is padded so that
// the document is about size bytes (a long user@host, as on CI runners).
func lockInfo(id, path string, size int) []byte {
	created := time.Now().UTC().Format("2006-01-02T15:04:05.000000000Z")
	mk := func(who string) []byte {
		b, _ := json.Marshal(struct {
			ID, Operation, Info, Who, Version, Created, Path string
		}{id, "OperationTypeApply", "", who, "1.0.3", created, path})
		return b
	}
	who := "runner@ci-build-host"
	if n := size - len(mk(who)); n > 0 {
		who = "runner@ci-build-host-" + strings.Repeat("x", n-1)
	}
	return mk(who)
}

// ---------------------------------------------------------------------------
// Server CPU and machine CPU over the timed part

const clockTicks = 100 // USER_HZ on Linux

type cpuSnap struct {
	at                  time.Time
	busy, steal, server int64 // jiffies
	self                time.Duration
}

func takeCPUSnap(pid int) cpuSnap {
	cs := cpuSnap{at: time.Now()}
	if b, err := os.ReadFile("/proc/stat"); err == nil {
		f := strings.Fields(strings.SplitN(string(b), "\n", 2)[0])
		if len(f) >= 9 && f[0] == "cpu" {
			v := make([]int64, len(f))
			for i := 1; i < len(f); i++ {
				v[i], _ = strconv.ParseInt(f[i], 10, 64)
			}
			// user nice system idle iowait irq softirq steal
			cs.busy = v[1] + v[2] + v[3] + v[6] + v[7]
			cs.steal = v[8]
		}
	}
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		cs.self = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	if pid > 0 {
		cs.server = -1
		if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
			s := string(b)
			if i := strings.LastIndexByte(s, ')'); i >= 0 {
				f := strings.Fields(s[i+1:])
				if len(f) > 12 { // fields 14 (utime) and 15 (stime) of the whole line
					u, _ := strconv.ParseInt(f[11], 10, 64)
					st, _ := strconv.ParseInt(f[12], 10, 64)
					cs.server = u + st
				}
			}
		}
	}
	return cs
}

// cpuReport adds cpu_s {wall, client, server, other, steal}: "other" is the CPU that everything else on the machine
// used meanwhile (more than a few % of wall means something else ran and the figures are suspect). It returns the
// server's CPU seconds (-1 when unknown).
func cpuReport(o *obj, pid int, c0, c1 cpuSnap) float64 {
	client := (c1.self - c0.self).Seconds()
	busy := float64(c1.busy-c0.busy) / clockTicks
	cpu := obj{{"wall", r3(c1.at.Sub(c0.at).Seconds())}, {"client", r3(client)}}
	other := busy - client
	srv := -1.0
	if pid > 0 && c0.server >= 0 && c1.server >= 0 {
		srv = float64(c1.server-c0.server) / clockTicks
		cpu.add("server", r3(srv))
		other -= srv
	}
	if other < 0 {
		other = 0 // jiffy rounding
	}
	cpu.add("other", r3(other))
	cpu.add("steal", r3(float64(c1.steal-c0.steal)/clockTicks))
	o.add("cpu_s", cpu)
	return srv
}

// ---------------------------------------------------------------------------
// Runs

type config struct {
	mode, endpoint, table, label, prefix string
	conc, infoSize                       int
	dur, hold, backoff                   time.Duration
	serverPID                            int
	unlockCheck                          bool
	maxCycles                            int64
}

func header(cfg *config, scenario string) obj {
	o := obj{{"scenario", scenario}}
	if cfg.label != "" {
		o.add("server", cfg.label)
	}
	o.add("time", time.Now().UTC().Format(time.RFC3339))
	o.add("endpoint", cfg.endpoint)
	o.add("table", cfg.table)
	o.add("concurrency", cfg.conc)
	return o
}

// probe checks on a key of its own that the table exists and that a second conditional PutItem is refused with
// ConditionalCheckFailedException; it adds condition_honoured: true, false, or null when a request failed otherwise.
func probe(c *client, cfg *config, o *obj) {
	key := cfg.prefix + "/probe/terraform.tfstate"
	first := putItemBody(cfg.table, key, lockInfo(uuidv4(), key, cfg.infoSize))
	second := putItemBody(cfg.table, key, lockInfo(uuidv4(), key, cfg.infoSize))
	r1, err1 := c.call("PutItem", first)
	var honoured interface{}
	if c.ok("PutItem (probe)", first, r1, err1, "") {
		r2, err2 := c.call("PutItem", second)
		switch {
		case err2 != nil:
			c.ok("PutItem (probe, second)", second, r2, err2, "")
		case r2.errType == "ConditionalCheckFailedException":
			honoured = true
		case r2.status == 200:
			honoured = false
			c.errs.add("PutItem (probe, second): accepted", describe("PutItem", second, r2, nil))
		default:
			c.ok("PutItem (probe, second)", second, r2, err2, "ConditionalCheckFailedException")
		}
	}
	o.add("condition_honoured", honoured)
	del := deleteItemBody(cfg.table, key)
	r, err := c.call("DeleteItem", del)
	c.ok("DeleteItem (probe)", del, r, err, "")
}

func runCycle(cfg *config, c *client) {
	o := header(cfg, "dynamodb-lock-cycle")
	probe(c, cfg, &o)
	type wstats struct {
		cycle, put, get, del []time.Duration
	}
	ws := make([]*wstats, cfg.conc)
	var issued atomic.Int64
	c0 := takeCPUSnap(cfg.serverPID)
	deadline := time.Now().Add(cfg.dur)
	var wg sync.WaitGroup
	for w := 0; w < cfg.conc; w++ {
		ws[w] = &wstats{}
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			st := ws[w]
			lockID := fmt.Sprintf("%s/worker-%d/terraform.tfstate", cfg.prefix, w)
			del := deleteItemBody(cfg.table, lockID)
			for time.Now().Before(deadline) {
				if cfg.maxCycles > 0 && issued.Add(1) > cfg.maxCycles {
					return
				}
				id := uuidv4()
				put := putItemBody(cfg.table, lockID, lockInfo(id, lockID, cfg.infoSize))
				t0 := time.Now()
				r, err := c.call("PutItem", put)
				if !c.ok("PutItem", put, r, err, "") {
					if err == nil && r.errType == "ConditionalCheckFailedException" {
						// A lock left by a failed DeleteItem would refuse every later cycle: remove it.
						c.call("DeleteItem", del)
					}
					continue
				}
				st.put = append(st.put, r.dur)
				ok := true
				if cfg.unlockCheck {
					get := getItemBody(cfg.table, lockID)
					r, err = c.call("GetItem", get)
					if c.ok("GetItem", get, r, err, "") {
						st.get = append(st.get, r.dur)
						if !strings.Contains(infoOf(r.body), id) {
							c.errs.add("GetItem: not our lock", describe("GetItem", get, r, nil))
							ok = false
						}
					} else {
						ok = false
					}
				}
				r, err = c.call("DeleteItem", del)
				if c.ok("DeleteItem", del, r, err, "") {
					st.del = append(st.del, r.dur)
				} else {
					ok = false
				}
				if ok {
					st.cycle = append(st.cycle, time.Since(t0))
				}
			}
		}(w)
	}
	wg.Wait()
	c1 := takeCPUSnap(cfg.serverPID)
	elapsed := c1.at.Sub(c0.at)

	var cycles, puts, gets, dels []time.Duration
	for _, st := range ws {
		cycles = append(cycles, st.cycle...)
		puts = append(puts, st.put...)
		gets = append(gets, st.get...)
		dels = append(dels, st.del...)
	}
	perCycle := 2
	if cfg.unlockCheck {
		perCycle = 3
	}
	o.add("info_bytes", len(lockInfo(uuidv4(), fmt.Sprintf("%s/worker-0/terraform.tfstate", cfg.prefix), cfg.infoSize)))
	o.add("requests_per_cycle", perCycle)
	o.add("duration_s", r3(elapsed.Seconds()))
	o.add("cycles", len(cycles))
	o.add("cycles_per_s", r3(float64(len(cycles))/elapsed.Seconds()))
	o.add("cycle_ms", summarize(cycles))
	steps := obj{{"put_item", summarize(puts)}}
	if cfg.unlockCheck {
		steps.add("get_item", summarize(gets))
	}
	steps.add("delete_item", summarize(dels))
	o.add("step_ms", steps)
	c.errs.report(&o)
	srv := cpuReport(&o, cfg.serverPID, c0, c1)
	if srv >= 0 && len(cycles) > 0 {
		o.add("server_cpu_us_per_cycle", r3(srv/float64(len(cycles))*1e6))
	}
	if cfg.serverPID > 0 {
		o.add("server_pid", cfg.serverPID)
	}
	emit(o)
}

func runContention(cfg *config, c *client) {
	o := header(cfg, "dynamodb-lock-contention")
	probe(c, cfg, &o)
	lockID := cfg.prefix + "/contended/terraform.tfstate"
	run := randHex(4)
	o.add("hold_ms", ms(cfg.hold))
	o.add("backoff_ms", ms(cfg.backoff))

	var holders, overlaps, secondAccepted, foreign, attempts, acquired, refused, secondRefused atomic.Int64
	perWorker := make([]int64, cfg.conc)
	putLat := make([][]time.Duration, cfg.conc)
	var vMu sync.Mutex
	firstViolation := ""
	violation := func(msg string) {
		vMu.Lock()
		defer vMu.Unlock()
		if firstViolation == "" {
			firstViolation = msg
			fmt.Fprintln(os.Stderr, "dynamodb-lock: violation:", msg)
		}
	}
	del := deleteItemBody(cfg.table, lockID)
	release := func() {
		// Released for sure, or every other worker would wait until the end: retry a failed DeleteItem.
		for i := 0; i < 5; i++ {
			r, err := c.call("DeleteItem", del)
			if c.ok("DeleteItem", del, r, err, "") {
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	}

	c0 := takeCPUSnap(cfg.serverPID)
	deadline := time.Now().Add(cfg.dur)
	var wg sync.WaitGroup
	for w := 0; w < cfg.conc; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for n := 0; time.Now().Before(deadline); n++ {
				if a := attempts.Add(1); cfg.maxCycles > 0 && a > cfg.maxCycles {
					attempts.Add(-1)
					return
				}
				id := fmt.Sprintf("%s-w%02d-%07d-%s", run, w, n, uuidv4())
				put := putItemBody(cfg.table, lockID, lockInfo(id, lockID, cfg.infoSize))
				r, err := c.call("PutItem", put)
				if err != nil {
					c.ok("PutItem", put, r, err, "")
					time.Sleep(cfg.backoff)
					continue
				}
				putLat[w] = append(putLat[w], r.dur)
				switch {
				case r.status == 200:
					acquired.Add(1)
					perWorker[w]++
					if h := holders.Add(1); h > 1 {
						overlaps.Add(1)
						violation(fmt.Sprintf("%d holders at once: worker %d won PutItem while another worker held the lock", h, w))
					}
					// While we hold it, a second conditional PutItem must be refused.
					again := putItemBody(cfg.table, lockID, lockInfo(id+"-again", lockID, cfg.infoSize))
					r2, err2 := c.call("PutItem", again)
					switch {
					case err2 != nil:
						c.ok("PutItem (while held)", again, r2, err2, "")
					case r2.errType == "ConditionalCheckFailedException":
						secondRefused.Add(1)
					case r2.status == 200:
						secondAccepted.Add(1)
						violation("a second PutItem succeeded while the lock was held: " + describe("PutItem", again, r2, nil))
					default:
						c.ok("PutItem (while held)", again, r2, err2, "ConditionalCheckFailedException")
					}
					// What Terraform's Unlock reads first: the lock must still be ours.
					get := getItemBody(cfg.table, lockID)
					g, errg := c.call("GetItem", get)
					if c.ok("GetItem", get, g, errg, "") {
						if info := infoOf(g.body); !strings.Contains(info, `"ID":"`+id+`"`) {
							foreign.Add(1)
							violation(fmt.Sprintf("worker %d holds the lock but GetItem returned %s", w, truncate(g.body, 300)))
						}
					}
					if cfg.hold > 0 {
						time.Sleep(cfg.hold)
					}
					// Stop being the holder before the DeleteItem is sent: a later winner can only overlap with us
					// if the server granted the lock while it was held.
					holders.Add(-1)
					release()
				case r.errType == "ConditionalCheckFailedException":
					refused.Add(1)
					time.Sleep(cfg.backoff)
				default:
					c.ok("PutItem", put, r, err, "")
					time.Sleep(cfg.backoff)
				}
			}
		}(w)
	}
	wg.Wait()
	c1 := takeCPUSnap(cfg.serverPID)
	elapsed := c1.at.Sub(c0.at)

	minW, maxW := int64(math.MaxInt64), int64(0)
	for _, v := range perWorker {
		if v < minW {
			minW = v
		}
		if v > maxW {
			maxW = v
		}
	}
	var lat []time.Duration
	for _, l := range putLat {
		lat = append(lat, l...)
	}
	o.add("duration_s", r3(elapsed.Seconds()))
	o.add("attempts", attempts.Load())
	o.add("acquisitions", acquired.Load())
	o.add("acquisitions_per_s", r3(float64(acquired.Load())/elapsed.Seconds()))
	o.add("refused_conditional_check", refused.Load())
	o.add("second_put_refused", secondRefused.Load())
	o.add("violations", overlaps.Load()+secondAccepted.Load()+foreign.Load())
	o.add("violations_overlap", overlaps.Load())
	o.add("violations_second_put_accepted", secondAccepted.Load())
	o.add("violations_foreign_info", foreign.Load())
	if firstViolation != "" {
		o.add("first_violation", firstViolation)
	}
	o.add("acquisitions_per_worker", obj{{"min", minW}, {"max", maxW}})
	o.add("put_item_ms", summarize(lat))
	c.errs.report(&o)
	srv := cpuReport(&o, cfg.serverPID, c0, c1)
	if srv >= 0 && acquired.Load() > 0 {
		o.add("server_cpu_us_per_acquisition", r3(srv/float64(acquired.Load())*1e6))
	}
	if cfg.serverPID > 0 {
		o.add("server_pid", cfg.serverPID)
	}
	emit(o)
}

// waitQuiet waits until the CPUs are at most maxBusy busy over a 3 s window (exit 0), or gives up (exit 1).
func waitQuiet(maxBusy float64, limit time.Duration) {
	ncpu := float64(runtime.NumCPU())
	t0 := time.Now()
	for {
		a := takeCPUSnap(0)
		time.Sleep(3 * time.Second)
		b := takeCPUSnap(0)
		busy := float64(b.busy-a.busy+b.steal-a.steal) / clockTicks / b.at.Sub(a.at).Seconds() / ncpu
		if busy <= maxBusy {
			fmt.Fprintf(os.Stderr, "dynamodb-lock: machine quiet (%.0f%% busy) after %v\n", busy*100, time.Since(t0).Round(time.Second))
			return
		}
		if time.Since(t0) > limit {
			fmt.Fprintf(os.Stderr, "dynamodb-lock: machine still %.0f%% busy after %v; going on anyway\n", busy*100, limit)
			os.Exit(1)
		}
	}
}

// nullServer answers PutItem (honouring attribute_not_exists on the key), GetItem and DeleteItem from a map, with
// no authentication and no durability, so that the client's own ceiling on this machine can be measured.
func nullServer(listen string, lifetime time.Duration) {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		fatalf("%v", err)
	}
	if err := loopbackOnly(host); err != nil {
		fatalf("%v", err)
	}
	var mu sync.Mutex
	items := map[string]string{}
	ccf := []byte(`{"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException","message":"The conditional request failed"}`)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var req struct {
			ConditionExpression string
			Item, Key           map[string]attr
		}
		json.Unmarshal(body, &req)
		out, status := []byte("{}"), 200
		mu.Lock()
		switch strings.TrimPrefix(r.Header.Get("X-Amz-Target"), targetPrefix) {
		case "PutItem":
			id := req.Item["LockID"].S
			if _, held := items[id]; held && req.ConditionExpression != "" {
				out, status = ccf, 400
			} else {
				items[id] = req.Item["Info"].S
			}
		case "DeleteItem":
			delete(items, req.Key["LockID"].S)
		case "GetItem":
			if info, ok := items[req.Key["LockID"].S]; ok {
				out, _ = json.Marshal(map[string]map[string]attr{"Item": {"LockID": req.Key["LockID"], "Info": {info}}})
			}
		}
		mu.Unlock()
		w.Header().Set("Content-Type", jsonContentType)
		w.Header().Set("X-Amz-Crc32", strconv.FormatUint(uint64(crc32.ChecksumIEEE(out)), 10))
		w.WriteHeader(status)
		w.Write(out)
	})
	fmt.Fprintf(os.Stderr, "dynamodb-lock: null server on %s for at most %v\n", listen, lifetime)
	go func() { time.Sleep(lifetime); os.Exit(0) }()
	fatalf("%v", http.ListenAndServe(listen, h))
}

func envOr(k, d string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return d
}

func fatalf(format string, a ...interface{}) {
	fmt.Fprintf(os.Stderr, "dynamodb-lock: "+format+"\n", a...)
	os.Exit(2)
}

func main() {
	cfg := &config{}
	var accessKey, secretKey, region string
	var timeout, maxWait time.Duration
	var maxBusy float64
	var listen string
	flag.StringVar(&cfg.mode, "mode", "cycle", "cycle | contention | wait-quiet | null-server")
	flag.StringVar(&cfg.endpoint, "endpoint", envOr("DYNAMODB_ENDPOINT", "http://127.0.0.1:9000"), "DynamoDB endpoint (http, loopback only)")
	flag.StringVar(&accessKey, "access-key", envOr("AWS_ACCESS_KEY_ID", "test"), "access key id")
	flag.StringVar(&secretKey, "secret-key", envOr("AWS_SECRET_ACCESS_KEY", "test"), "secret access key")
	flag.StringVar(&region, "region", "us-east-1", "signing region")
	flag.StringVar(&cfg.table, "table", "tf-locks", "lock table (hash key LockID, type S); it must exist")
	flag.StringVar(&cfg.label, "label", "", "server name written into the JSON line")
	flag.StringVar(&cfg.prefix, "prefix", "", "LockID prefix, like <bucket>/<key dir> (default: tfstate/bench-<random>)")
	flag.IntVar(&cfg.conc, "c", 1, "concurrency: workers (cycle: each on its own LockID; contention: all on one)")
	flag.DurationVar(&cfg.dur, "duration", 10*time.Second, "measurement time")
	flag.Int64Var(&cfg.maxCycles, "max-cycles", 0, "stop after this many cycles (contention: PutItem attempts); 0: time only")
	flag.IntVar(&cfg.infoSize, "info-size", 300, "size of the lock info JSON in bytes")
	flag.BoolVar(&cfg.unlockCheck, "unlock-check", false, "cycle: GetItem of Info before the DeleteItem, as Terraform's Unlock does")
	flag.DurationVar(&cfg.hold, "hold", 0, "contention: how long a winner keeps the lock after its checks")
	flag.DurationVar(&cfg.backoff, "backoff", time.Millisecond, "contention: pause after a refused PutItem")
	flag.IntVar(&cfg.serverPID, "server-pid", 0, "server PID: its utime+stime (/proc/PID/stat) over the timed part gives CPU per cycle")
	flag.DurationVar(&timeout, "timeout", 10*time.Second, "per-request timeout")
	flag.Float64Var(&maxBusy, "max-busy", 0.15, "wait-quiet: busy fraction of all CPUs that counts as quiet")
	flag.DurationVar(&maxWait, "max-wait", 5*time.Minute, "wait-quiet: give up after this long")
	flag.StringVar(&listen, "listen", "127.0.0.1:19460", "null-server: address to listen on (loopback only)")
	flag.Parse()
	runtime.GOMAXPROCS(runtime.NumCPU())

	switch cfg.mode {
	case "wait-quiet":
		waitQuiet(maxBusy, maxWait)
		return
	case "null-server":
		nullServer(listen, 30*time.Minute)
		return
	}
	if cfg.conc < 1 {
		fatalf("-c must be >= 1")
	}
	if cfg.prefix == "" {
		cfg.prefix = "tfstate/bench-" + randHex(4)
	}
	c, err := newClient(cfg.endpoint, accessKey, secretKey, region, cfg.conc, timeout)
	if err != nil {
		fatalf("%v", err)
	}
	switch cfg.mode {
	case "cycle":
		runCycle(cfg, c)
	case "contention":
		runContention(cfg, c)
	default:
		fatalf("unknown -mode %q (cycle | contention | wait-quiet | null-server)", cfg.mode)
	}
}
