// Package srvs is the MS-SRVS endpoint of the served fake: a NetrSessionEnum or NetrSessionDel
// request stub in, a sessionapi.SessionAPI call, a response stub out, in NDR 2.0 or NDR64 as
// the presentation context negotiated. It is the dual of sessionapi/srvsvc's api.go, and what
// the SMB2 server puts behind the \PIPE\srvsvc named pipe:
//
//	sc := dcerpc.NewServerConn([]dcerpc.ServerInterface{srvs.Interface(api)}, dcerpc.ServerLimits{})
package srvs
