package board

import (
	"errors"
	"fmt"
	"time"
)

// Code classifies an error for the people and programs that receive it.
// The HTTP layer maps each code to one status; the storage layer never
// depends on HTTP.
type Code string

const (
	Invalid      Code = "invalid"                // 400: the input is wrong; Fields says where
	Unauthorized Code = "unauthorized"           // 401: a manage token is missing
	NotFound     Code = "not_found"              // 404
	Conflict     Code = "conflict"               // 409: the action is not possible now
	Gone         Code = "gone"                   // 410: deleted or expired
	TooLarge     Code = "too_large"              // 413
	Unsupported  Code = "unsupported_media_type" // 415
	RateLimited  Code = "rate_limited"           // 429
	Unavailable  Code = "unavailable"            // 503: busy, try again
	Internal     Code = "internal"               // 500: the cause is logged, never shown
)

// Error is the one error type that crosses package boundaries on purpose.
// Message is safe to show to users; Fields maps form field names to messages.
type Error struct {
	Code    Code
	Message string
	Fields  map[string]string
	RetryAt time.Time // the earliest time the action can succeed, or zero when unknown
}

func (e *Error) Error() string {
	if len(e.Fields) == 0 {
		return fmt.Sprintf("%s: %s", e.Code, e.Message)
	}
	return fmt.Sprintf("%s: %s %v", e.Code, e.Message, e.Fields)
}

// Errorf returns an *Error with the given code and message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldErrors returns an Invalid error for the given field messages.
func FieldErrors(fields map[string]string) *Error {
	return &Error{Code: Invalid, Message: "Please correct the marked fields.", Fields: fields}
}

// ErrorCode returns the code of the first *Error in err's chain, or Internal.
func ErrorCode(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// ErrNotFound is returned by stores when a row does not exist.
var ErrNotFound = &Error{Code: NotFound, Message: "Not found."}
