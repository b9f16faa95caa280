package main

import "github.com/kefu-io/kefu/internal/widgetbench"

func init() {
	register("widget", "the shopper widget in headless chromium: bytes on the wire (first paint, after three questions) and local-answer latency", widgetbench.Main)
}
