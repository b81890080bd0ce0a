package smb2

import "fmt"

// Status is an NTSTATUS value as SMB2 carries it in the header.
type Status uint32

// The statuses the server sends (MS-ERREF 2.3.1).
const (
	StatusSuccess                Status = 0x00000000
	StatusPending                Status = 0x00000103
	StatusBufferOverflow         Status = 0x80000005
	StatusNoMoreFiles            Status = 0x80000006
	StatusNotImplemented         Status = 0xC0000002
	StatusInvalidInfoClass       Status = 0xC0000003
	StatusInvalidHandle          Status = 0xC0000008
	StatusInvalidParameter       Status = 0xC000000D
	StatusEndOfFile              Status = 0xC0000011
	StatusMoreProcessingRequired Status = 0xC0000016
	StatusAccessDenied           Status = 0xC0000022
	StatusBufferTooSmall         Status = 0xC0000023
	StatusObjectNameInvalid      Status = 0xC0000033
	StatusObjectNameNotFound     Status = 0xC0000034
	StatusObjectPathNotFound     Status = 0xC000003A
	StatusPipeBusy               Status = 0xC00000AE
	StatusPipeDisconnected       Status = 0xC00000B0
	StatusLogonFailure           Status = 0xC000006D
	StatusInsufficientResources  Status = 0xC000009A
	StatusNotSupported           Status = 0xC00000BB
	StatusNetworkNameDeleted     Status = 0xC00000C9
	StatusBadNetworkName         Status = 0xC00000CC
	StatusRequestNotAccepted     Status = 0xC00000D0
	StatusInvalidDeviceRequest   Status = 0xC0000010
	StatusFileClosed             Status = 0xC0000128
	StatusCancelled              Status = 0xC0000120
	StatusUserSessionDeleted     Status = 0xC0000203
	StatusNetworkSessionExpired  Status = 0xC000035C
	StatusTooManyOpenedFiles     Status = 0xC000011F
	StatusInvalidNetworkResponse Status = 0xC00000C3
	StatusNotFound               Status = 0xC0000225
	StatusInvalidDeviceState     Status = 0xC0000184
	StatusFSDriverRequired       Status = 0xC000019C
	StatusTooManySessions        Status = 0xC00000CE
)

var statusNames = map[Status]string{
	StatusSuccess:                "STATUS_SUCCESS",
	StatusPending:                "STATUS_PENDING",
	StatusBufferOverflow:         "STATUS_BUFFER_OVERFLOW",
	StatusNoMoreFiles:            "STATUS_NO_MORE_FILES",
	StatusNotImplemented:         "STATUS_NOT_IMPLEMENTED",
	StatusInvalidInfoClass:       "STATUS_INVALID_INFO_CLASS",
	StatusInvalidHandle:          "STATUS_INVALID_HANDLE",
	StatusInvalidParameter:       "STATUS_INVALID_PARAMETER",
	StatusEndOfFile:              "STATUS_END_OF_FILE",
	StatusMoreProcessingRequired: "STATUS_MORE_PROCESSING_REQUIRED",
	StatusAccessDenied:           "STATUS_ACCESS_DENIED",
	StatusBufferTooSmall:         "STATUS_BUFFER_TOO_SMALL",
	StatusObjectNameInvalid:      "STATUS_OBJECT_NAME_INVALID",
	StatusObjectNameNotFound:     "STATUS_OBJECT_NAME_NOT_FOUND",
	StatusObjectPathNotFound:     "STATUS_OBJECT_PATH_NOT_FOUND",
	StatusPipeBusy:               "STATUS_PIPE_BUSY",
	StatusPipeDisconnected:       "STATUS_PIPE_DISCONNECTED",
	StatusLogonFailure:           "STATUS_LOGON_FAILURE",
	StatusInsufficientResources:  "STATUS_INSUFFICIENT_RESOURCES",
	StatusNotSupported:           "STATUS_NOT_SUPPORTED",
	StatusNetworkNameDeleted:     "STATUS_NETWORK_NAME_DELETED",
	StatusBadNetworkName:         "STATUS_BAD_NETWORK_NAME",
	StatusRequestNotAccepted:     "STATUS_REQUEST_NOT_ACCEPTED",
	StatusInvalidDeviceRequest:   "STATUS_INVALID_DEVICE_REQUEST",
	StatusFileClosed:             "STATUS_FILE_CLOSED",
	StatusCancelled:              "STATUS_CANCELLED",
	StatusUserSessionDeleted:     "STATUS_USER_SESSION_DELETED",
	StatusNetworkSessionExpired:  "STATUS_NETWORK_SESSION_EXPIRED",
	StatusTooManyOpenedFiles:     "STATUS_TOO_MANY_OPENED_FILES",
	StatusInvalidNetworkResponse: "STATUS_INVALID_NETWORK_RESPONSE",
	StatusNotFound:               "STATUS_NOT_FOUND",
	StatusInvalidDeviceState:     "STATUS_INVALID_DEVICE_STATE",
	StatusFSDriverRequired:       "STATUS_FS_DRIVER_REQUIRED",
	StatusTooManySessions:        "STATUS_TOO_MANY_SESSIONS",
}

// String names the status with its number: "STATUS_LOGON_FAILURE (0xC000006D)".
func (s Status) String() string {
	if n, ok := statusNames[s]; ok {
		return fmt.Sprintf("%s (0x%08X)", n, uint32(s))
	}
	return fmt.Sprintf("NTSTATUS 0x%08X", uint32(s))
}

// Error makes a Status usable as an error.
func (s Status) Error() string { return s.String() }

// IsError reports whether the status is an error (severity bits 11), as opposed to success,
// informational or a warning such as STATUS_BUFFER_OVERFLOW.
func (s Status) IsError() bool { return s>>30 == 3 }
