package smbconn

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/cloudsoda/go-smb2"
)

// Params says where to connect and as whom. An empty User with no Password and no Hash is an
// anonymous (NULL) session; a user the server does not know, with "map to guest = Bad User",
// becomes a guest session.
type Params struct {
	Host        string
	Port        int // 0 means 445
	LocalAddr   string
	User        string
	Domain      string
	Password    string
	Hash        []byte // NT hash (16 bytes), used instead of Password when set
	Workstation string
}

// Addr returns host:port.
func (p *Params) Addr() string {
	port := p.Port
	if port == 0 {
		port = 445
	}
	return net.JoinHostPort(p.Host, strconv.Itoa(port))
}

// Conn is an authenticated SMB2 session and the TCP connection under it.
type Conn struct {
	Session *smb2.Session
	TCP     net.Conn
}

// Dial connects and authenticates with NTLM. The context bounds the TCP connect, the
// negotiation and the session setup.
func Dial(ctx context.Context, p Params) (*Conn, error) {
	d := net.Dialer{}
	if p.LocalAddr != "" {
		ip := net.ParseIP(p.LocalAddr)
		if ip == nil {
			return nil, fmt.Errorf("local address %q is not an IP address", p.LocalAddr)
		}
		d.LocalAddr = &net.TCPAddr{IP: ip}
	}
	tcp, err := d.DialContext(ctx, "tcp", p.Addr())
	if err != nil {
		return nil, fmt.Errorf("connecting to %s: %w", p.Addr(), err)
	}
	sd := &smb2.Dialer{Initiator: &smb2.NTLMInitiator{
		User: p.User, Password: p.Password, Hash: p.Hash, Domain: p.Domain, Workstation: p.Workstation,
	}}
	// go-smb2 does not watch ctx while it reads the negotiate and session setup replies from
	// a server that accepted the connection but stays silent; a deadline on the socket does.
	if dl, ok := ctx.Deadline(); ok {
		_ = tcp.SetDeadline(dl)
	}
	s, err := sd.DialConn(ctx, tcp, p.Addr())
	if err != nil {
		tcp.Close()
		return nil, fmt.Errorf("SMB2 session setup with %s as %q: %w", p.Addr(), p.User, err)
	}
	_ = tcp.SetDeadline(time.Time{})
	return &Conn{Session: s, TCP: tcp}, nil
}

// Close logs off (bounded by ctx) and closes the connection.
func (c *Conn) Close(ctx context.Context) error {
	err := c.Session.WithContext(ctx).Logoff()
	// go-smb2's Logoff closes the connection itself; closing it again is not a failure.
	if cerr := c.TCP.Close(); err == nil && !errors.Is(cerr, net.ErrClosed) {
		err = cerr
	}
	return err
}
