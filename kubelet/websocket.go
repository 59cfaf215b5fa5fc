/*
Copyright The Ephemera Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package kubelet

import (
	"bufio"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
)

// A minimal RFC 6455 server side, enough for the Kubernetes remote-command
// channel protocols over WebSocket (client-go tools/remotecommand/websocket.go
// and k8s.io/apimachinery/pkg/util/remotecommand/constants.go). Written here
// because go.mod has no WebSocket library for the main module.

const (
	// protocolV5 is remotecommand.StreamProtocolV5Name, which kubectl 1.37
	// asks for first; v4 is accepted too (same framing, no close signal).
	protocolV5 = "v5.channel.k8s.io"
	protocolV4 = "v4.channel.k8s.io"

	channelStdin  = 0
	channelStdout = 1
	channelStderr = 2
	channelError  = 3
	channelResize = 4
	channelClose  = 255 // v5: [255, channel] closes that channel

	opContinuation = 0x0
	opText         = 0x1
	opBinary       = 0x2
	opClose        = 0x8
	opPing         = 0x9
	opPong         = 0xA
)

const wsGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// wsConn is an accepted WebSocket connection.
type wsConn struct {
	conn     net.Conn
	r        *bufio.Reader
	writeMu  sync.Mutex
	protocol string
}

// isWebSocket reports whether req asks for a WebSocket upgrade.
func isWebSocket(req *http.Request) bool {
	return strings.EqualFold(req.Header.Get("Upgrade"), "websocket") &&
		strings.Contains(strings.ToLower(req.Header.Get("Connection")), "upgrade")
}

// acceptWebSocket completes the handshake, choosing v5 or v4 of the channel
// protocol. It answers 400 itself when neither is offered.
func acceptWebSocket(w http.ResponseWriter, req *http.Request) (*wsConn, error) {
	key := req.Header.Get("Sec-WebSocket-Key")
	var offered []string
	for _, h := range req.Header.Values("Sec-WebSocket-Protocol") {
		for _, p := range strings.Split(h, ",") {
			offered = append(offered, strings.TrimSpace(p))
		}
	}
	protocol := ""
	for _, want := range []string{protocolV5, protocolV4} {
		for _, p := range offered {
			if p == want && protocol == "" {
				protocol = want
			}
		}
	}
	if key == "" || protocol == "" {
		http.Error(w, fmt.Sprintf("unable to upgrade: no supported subprotocol in %q", offered), http.StatusBadRequest)
		return nil, errors.New("no supported subprotocol")
	}
	hj, ok := w.(http.Hijacker)
	if !ok {
		http.Error(w, "unable to upgrade: connection cannot be hijacked", http.StatusInternalServerError)
		return nil, errors.New("response writer is not a hijacker")
	}
	conn, rw, err := hj.Hijack()
	if err != nil {
		return nil, err
	}
	sum := sha1.Sum([]byte(key + wsGUID))
	resp := "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Accept: " + base64.StdEncoding.EncodeToString(sum[:]) + "\r\n" +
		"Sec-WebSocket-Protocol: " + protocol + "\r\n\r\n"
	if _, err := conn.Write([]byte(resp)); err != nil {
		conn.Close()
		return nil, err
	}
	return &wsConn{conn: conn, r: rw.Reader, protocol: protocol}, nil
}

// writeFrame writes one unmasked, final frame (servers never mask).
func (c *wsConn) writeFrame(op byte, payload []byte) error {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	hdr := []byte{0x80 | op}
	switch n := len(payload); {
	case n < 126:
		hdr = append(hdr, byte(n))
	case n <= 0xFFFF:
		hdr = append(hdr, 126, byte(n>>8), byte(n))
	default:
		hdr = append(hdr, 127)
		hdr = binary.BigEndian.AppendUint64(hdr, uint64(n))
	}
	if _, err := c.conn.Write(append(hdr, payload...)); err != nil {
		return err
	}
	return nil
}

// writeChannel sends data on a remote-command channel.
func (c *wsConn) writeChannel(channel byte, data []byte) error {
	return c.writeFrame(opBinary, append([]byte{channel}, data...))
}

// closeNormally sends a close frame with 1000 (normal closure), which
// client-go turns into io.EOF on every stream, then closes the connection.
func (c *wsConn) closeNormally() {
	_ = c.writeFrame(opClose, []byte{0x03, 0xE8})
	c.conn.Close()
}

// readMessage returns the next data message, answering pings on the way.
func (c *wsConn) readMessage() ([]byte, error) {
	var msg []byte
	for {
		var h [2]byte
		if _, err := io.ReadFull(c.r, h[:]); err != nil {
			return nil, err
		}
		fin, op := h[0]&0x80 != 0, h[0]&0x0F
		masked := h[1]&0x80 != 0
		n := uint64(h[1] & 0x7F)
		switch n {
		case 126:
			var b [2]byte
			if _, err := io.ReadFull(c.r, b[:]); err != nil {
				return nil, err
			}
			n = uint64(binary.BigEndian.Uint16(b[:]))
		case 127:
			var b [8]byte
			if _, err := io.ReadFull(c.r, b[:]); err != nil {
				return nil, err
			}
			n = binary.BigEndian.Uint64(b[:])
		}
		if n > 1<<24 {
			return nil, fmt.Errorf("websocket frame of %d bytes is too large", n)
		}
		var mask [4]byte
		if masked {
			if _, err := io.ReadFull(c.r, mask[:]); err != nil {
				return nil, err
			}
		}
		payload := make([]byte, n)
		if _, err := io.ReadFull(c.r, payload); err != nil {
			return nil, err
		}
		if masked {
			for i := range payload {
				payload[i] ^= mask[i%4]
			}
		}
		switch op {
		case opPing:
			if err := c.writeFrame(opPong, payload); err != nil {
				return nil, err
			}
			continue
		case opPong:
			continue
		case opClose:
			return nil, io.EOF
		case opBinary, opText, opContinuation:
			msg = append(msg, payload...)
			if fin {
				return msg, nil
			}
		default:
			return nil, fmt.Errorf("unknown websocket opcode %d", op)
		}
	}
}
