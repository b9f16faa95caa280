// Package grafana holds the Grafana dashboard of a Kefu edge and central
// (kefu.json: import it, pick the Prometheus data source) and the test
// that keeps its queries on metrics the code declares. It has no Go API.
package grafana
