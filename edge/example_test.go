package edge_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/gofiber/fiber/v2"
	"github.com/nats-io/nats.go"

	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/edge"
	"github.com/kefu-io/kefu/edge/internal/minicentral"
)

// An edge node on a Fiber app, with an embedded NATS and a stand-in for
// central, and one client speaking the protocol of docs/PROTOCOL.md.
func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "kefu-example-")
	defer os.RemoveAll(dir)
	srv, err := minicentral.StartNATS(dir)
	if err != nil {
		panic(err)
	}
	defer srv.Shutdown()
	nc, _ := nats.Connect(srv.ClientURL())
	defer nc.Close()
	central, err := minicentral.Start(ctx, nc, minicentral.Options{})
	if err != nil {
		panic(err)
	}
	defer central.Stop()

	node, err := edge.New(ctx, edge.Config{
		Region: "eu",
		NATS:   nc,
		Sites:  map[string]edge.Site{"demo": {Tenant: "demo"}},
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		panic(err)
	}
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	node.Register(app)
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	go app.Listener(ln)
	defer app.Shutdown()
	defer node.Close()

	conn, _, err := websocket.DefaultDialer.Dial("ws://"+ln.Addr().String()+"/ws?site=demo", nil)
	if err != nil {
		panic(err)
	}
	defer conn.Close()
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	read := func() chat.Frame {
		var f chat.Frame
		if err := conn.ReadJSON(&f); err != nil {
			panic(err)
		}
		return f
	}
	_ = conn.WriteJSON(chat.Frame{V: 1, Type: chat.FrameHello, Visitor: "visitor-1"})
	w := read()
	fmt.Println(w.Type, w.Visitor, w.MaxText)
	_ = conn.WriteJSON(chat.Frame{V: 1, Type: chat.FrameMessage, ID: "m-1", Text: "hello"})
	a := read()
	fmt.Println(a.Type, a.ID)
	r := read()
	fmt.Println(r.Type, r.Role, r.Source, r.ReplyTo, r.Text)
	_ = conn.WriteJSON(chat.Frame{V: 1, Type: chat.FrameAck, ID: r.ID})
	// Output:
	// welcome visitor-1 4096
	// accepted m-1
	// message bot central m-1 echo: hello
}
