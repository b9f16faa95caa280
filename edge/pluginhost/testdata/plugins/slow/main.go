// Command slow answers with the body of a GET to config "url": a test
// server can hold the call open to keep it in flight.
package main

import "github.com/kefu-io/kefu/plugins/pdk"

func init() {
	pdk.OnInbound(func(env *pdk.Envelope) pdk.Result {
		url, _ := pdk.Config("url")
		resp, err := pdk.HTTP(pdk.Request{Method: "GET", URL: url})
		if err != nil {
			return pdk.Answer("slow error: " + err.Error())
		}
		return pdk.Answer("slow:" + resp.Body)
	})
}

func main() {}
