// Package appclient is an example of a native-style app client of Kefu's
// WebSocket protocol (docs/PROTOCOL.md): the mobile-app channel. A native
// app (Go here; the same frames from Swift or Kotlin) connects to the edge
// with ?site=KEY&channel=app, says hello with its stored visitor id (and
// conversation to resume), sends messages with ids it makes itself, keeps
// each one until `accepted` and resends it with the same id after a
// reconnect, acknowledges what it rendered and resumes from the last
// acknowledged id. It is an example, kept small: one goroutine reads, the
// caller sends.
//
// It depends on github.com/coder/websocket (already a test dependency of
// the repository) and on package chat for the frame type.
package appclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"

	"github.com/coder/websocket"

	"github.com/kefu-io/kefu/chat"
)

// State is what an app stores between launches to resume its conversation.
type State struct {
	Visitor      string `json:"visitor"`
	Conversation string `json:"conversation_id"`
	LastAcked    string `json:"last_acked"`
	// Identity is the signed-in shopper, as the merchant's backend signed
	// it at the app's sign-in (docs/PROTOCOL.md 2.1a, 2.1b): the hello
	// carries it, and a verified shopper is the same contact, with the same
	// conversation, in the app, the web widget, WeChat and e-mail.
	Identity *chat.Identity `json:"identity,omitempty"`
}

// Client is one connection. Messages delivers the replies (and, on resume,
// what was missed), each once per Client.
type Client struct {
	conn     *websocket.Conn
	State    State
	Messages chan chat.Frame
	// IdentityRefused is the edge's reason when State.Identity did not
	// verify (the connection went on anonymously); "" otherwise.
	IdentityRefused string

	mu      sync.Mutex
	pending map[string]chan chat.Frame // message id → accepted or error
	seen    map[string]bool
	done    chan struct{}
	err     error
}

// Dial connects to the edge at base (http://host:port) for site and says
// hello, resuming st's conversation when it names one.
func Dial(ctx context.Context, base, site string, st State) (*Client, error) {
	u, err := url.Parse(base)
	if err != nil {
		return nil, err
	}
	u.Scheme = strings.Replace(u.Scheme, "http", "ws", 1)
	u.Path = "/ws"
	u.RawQuery = url.Values{"site": {site}, "channel": {string(chat.ChannelApp)}}.Encode()
	conn, _, err := websocket.Dial(ctx, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("appclient: dial: %w", err)
	}
	conn.SetReadLimit(1 << 20)
	c := &Client{conn: conn, State: st, Messages: make(chan chat.Frame, 64), pending: map[string]chan chat.Frame{},
		seen: map[string]bool{}, done: make(chan struct{})}
	hello := chat.Frame{V: chat.ProtocolVersion, Type: chat.FrameHello, Site: site, Visitor: st.Visitor,
		ConversationID: st.Conversation, ResumeAfter: st.LastAcked, Identity: st.Identity}
	if err := c.write(ctx, hello); err != nil {
		conn.CloseNow()
		return nil, err
	}
	var welcome chat.Frame
	if err := c.read(ctx, &welcome); err != nil {
		conn.CloseNow()
		return nil, err
	}
	if welcome.Type == chat.FrameError && welcome.Code == chat.CodeIdentityRefused {
		c.IdentityRefused = welcome.Reason // the welcome follows: anonymous
		if err := c.read(ctx, &welcome); err != nil {
			conn.CloseNow()
			return nil, err
		}
	}
	if welcome.Type != chat.FrameWelcome {
		conn.CloseNow()
		return nil, fmt.Errorf("appclient: %s %s: %s", welcome.Type, welcome.Code, welcome.Reason)
	}
	c.State.Visitor, c.State.Conversation = welcome.Visitor, welcome.ConversationID
	go c.readLoop()
	return c, nil
}

func (c *Client) write(ctx context.Context, f chat.Frame) error {
	b, _ := json.Marshal(f)
	return c.conn.Write(ctx, websocket.MessageText, b)
}

func (c *Client) read(ctx context.Context, f *chat.Frame) error {
	_, b, err := c.conn.Read(ctx)
	if err != nil {
		return fmt.Errorf("appclient: read: %w", err)
	}
	return json.Unmarshal(b, f)
}

func (c *Client) readLoop() {
	defer close(c.done)
	defer close(c.Messages)
	for {
		var f chat.Frame
		if err := c.read(context.Background(), &f); err != nil {
			c.mu.Lock()
			c.err = err
			for _, ch := range c.pending {
				close(ch)
			}
			c.pending = map[string]chan chat.Frame{}
			c.mu.Unlock()
			return
		}
		switch f.Type {
		case chat.FrameAccepted, chat.FrameError:
			c.mu.Lock()
			ch := c.pending[f.ID]
			delete(c.pending, f.ID)
			c.mu.Unlock()
			if ch != nil {
				ch <- f
			}
		case chat.FrameMessage:
			c.mu.Lock()
			dup := c.seen[f.ID]
			c.seen[f.ID] = true
			c.mu.Unlock()
			if !dup {
				c.Messages <- f
			}
		}
	}
}

// ErrNotAccepted is returned by Send when the edge refused the message;
// the app keeps it and retries later with the same id when the code says so.
var ErrNotAccepted = errors.New("appclient: message not accepted")

// Send sends text with the id the app made (chat.NewID) and waits for
// `accepted`. After an error the app keeps id and text and sends them
// again, on this or a new connection: the id makes it stored once.
func (c *Client) Send(ctx context.Context, id, text string) error {
	ch := make(chan chat.Frame, 1)
	c.mu.Lock()
	c.pending[id] = ch
	c.mu.Unlock()
	if err := c.write(ctx, chat.Frame{V: chat.ProtocolVersion, Type: chat.FrameMessage, ID: id, Text: text,
		ConversationID: c.State.Conversation}); err != nil {
		return fmt.Errorf("appclient: send: %w", err)
	}
	select {
	case f, ok := <-ch:
		if !ok {
			return fmt.Errorf("appclient: connection lost before accepted: %w", c.err)
		}
		if f.Type != chat.FrameAccepted {
			return fmt.Errorf("%w: %s: %s", ErrNotAccepted, f.Code, f.Reason)
		}
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Ack tells the edge the app rendered message id and remembers it as the
// resume point.
func (c *Client) Ack(ctx context.Context, id string) error {
	c.State.LastAcked = id
	return c.write(ctx, chat.Frame{V: chat.ProtocolVersion, Type: chat.FrameAck, ID: id})
}

// Close closes the connection.
func (c *Client) Close() error {
	err := c.conn.Close(websocket.StatusNormalClosure, "bye")
	<-c.done
	return err
}
