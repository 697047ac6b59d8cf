package blobs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/url"
	"path"
	"strconv"
	"strings"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/minio/minio-go/v7/pkg/s3utils"

	"github.com/corkboard/corkboard/internal/board"
)

// S3Config is the connection to an S3-compatible bucket. Validate names
// the field of every setting it rejects.
type S3Config struct {
	// Endpoint is host or host:port without a scheme, like
	// s3.us-east-1.amazonaws.com or 127.0.0.1:9000.
	Endpoint string
	Bucket   string
	// Region is optional. When empty, the client reads it from an Amazon
	// S3 endpoint name, or else requests the bucket location once.
	Region    string
	AccessKey string
	SecretKey string
	UseTLS    bool // https instead of http
	// PathStyle selects URLs of the form endpoint/bucket/key, which
	// self-hosted servers such as MinIO need unless given a bucket domain.
	// When false, requests go to bucket.endpoint/key (virtual-hosted style).
	PathStyle bool
	// Prefix is optional and prepended to every key as is, so it usually
	// ends with "/", like "photos/".
	Prefix string
	// CreateBucket makes NewS3 create a missing bucket instead of failing.
	CreateBucket bool
	// PublicBaseURL is optional: the URL under which browsers can read the
	// objects directly, such as a CDN. It must already include Prefix,
	// because PublicURL appends only the key.
	PublicBaseURL string
}

// S3 stores photos as objects in one bucket, under Prefix plus the key.
// Objects are written with the Content-Type that /photos/{key} serves and
// a Cache-Control of one year, because a content-addressed key never
// changes meaning.
//
// NOTE: Get maps only the S3 error code NoSuchKey to board.ErrNotFound.
// Amazon S3 returns 403 AccessDenied instead for a missing key when the
// credentials lack s3:ListBucket (S3 API reference, GetObject,
// Permissions), so grant it or missing photos become internal errors.
type S3 struct {
	client        *minio.Client
	bucket        string
	prefix        string
	publicBaseURL string
}

var _ board.Blobs = (*S3)(nil)

// cacheControl is sent with every object so a CDN or browser reading the
// bucket directly caches it as long as /photos/{key} allows.
const cacheControl = "public, max-age=31536000, immutable"

// maxPrefixLen leaves room for the longest key (69 bytes) within the
// 1024-byte limit S3 puts on object names.
const maxPrefixLen = 1024 - 69

// contentTypes maps each extension ValidKey admits to the media type sent
// for it. A fixed table keeps the stored type independent of the host's
// mime.types file.
var contentTypes = map[string]string{
	".jpg":  "image/jpeg",
	".png":  "image/png",
	".webp": "image/webp",
	".avif": "image/avif",
}

// Validate checks every setting without connecting and trims a trailing
// slash from PublicBaseURL. Errors name the field at fault.
func (c *S3Config) Validate() error {
	if err := validateEndpoint(c.Endpoint); err != nil {
		return err
	}
	if c.Bucket == "" {
		return errors.New("S3 Bucket is missing")
	}
	if err := s3utils.CheckValidBucketNameStrict(c.Bucket); err != nil {
		return fmt.Errorf("S3 Bucket %q: %v", c.Bucket, err)
	}
	if c.AccessKey == "" {
		return errors.New("S3 AccessKey is missing")
	}
	if c.SecretKey == "" {
		return errors.New("S3 SecretKey is missing")
	}
	if err := validatePrefix(c.Prefix); err != nil {
		return err
	}
	if c.PublicBaseURL != "" {
		u, err := url.Parse(c.PublicBaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			return fmt.Errorf("S3 PublicBaseURL %q: want an absolute http or https URL without a query, like https://cdn.example/photos", c.PublicBaseURL)
		}
		c.PublicBaseURL = strings.TrimSuffix(c.PublicBaseURL, "/")
	}
	return nil
}

func validateEndpoint(endpoint string) error {
	if endpoint == "" {
		return errors.New("S3 Endpoint is missing")
	}
	if strings.Contains(endpoint, "://") {
		return fmt.Errorf("S3 Endpoint %q: want host or host:port without a scheme, like 127.0.0.1:9000, and UseTLS for https", endpoint)
	}
	if strings.ContainsAny(endpoint, "/?#@ ") {
		return fmt.Errorf("S3 Endpoint %q: want host or host:port without a path, like 127.0.0.1:9000", endpoint)
	}
	host, port, err := net.SplitHostPort(endpoint)
	if err != nil {
		// A bare host name, such as an AWS endpoint, uses the scheme's port.
		host, port = endpoint, ""
	}
	if host == "" {
		return fmt.Errorf("S3 Endpoint %q: the host is missing", endpoint)
	}
	if port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("S3 Endpoint %q: want a port from 1 to 65535", endpoint)
		}
	}
	return nil
}

// validatePrefix rejects prefixes that some servers refuse or rewrite
// only at the first upload, so the mistake shows at startup instead.
func validatePrefix(prefix string) error {
	if prefix == "" {
		return nil
	}
	if len(prefix) > maxPrefixLen {
		return fmt.Errorf("S3 Prefix is %d bytes long, want at most %d", len(prefix), maxPrefixLen)
	}
	if strings.HasPrefix(prefix, "/") {
		return fmt.Errorf("S3 Prefix %q: must not start with a slash", prefix)
	}
	for _, segment := range strings.Split(strings.TrimSuffix(prefix, "/"), "/") {
		if segment == "" || segment == "." || segment == ".." {
			return fmt.Errorf(`S3 Prefix %q: must not contain empty, "." or ".." path segments`, prefix)
		}
	}
	if err := s3utils.CheckValidObjectNamePrefix(prefix); err != nil {
		return fmt.Errorf("S3 Prefix %q: %v", prefix, err)
	}
	return nil
}

// NewS3 validates cfg, connects and checks that the bucket exists and the
// credentials may read it. With CreateBucket set it creates a missing
// bucket in cfg.Region. The context bounds only these startup requests.
func NewS3(ctx context.Context, cfg S3Config) (*S3, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}

	lookup := minio.BucketLookupDNS
	if cfg.PathStyle {
		lookup = minio.BucketLookupPath
	}
	client, err := minio.New(cfg.Endpoint, &minio.Options{
		Creds:        credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure:       cfg.UseTLS,
		Region:       cfg.Region,
		BucketLookup: lookup,
	})
	if err != nil {
		return nil, fmt.Errorf("S3 Endpoint %q: %w", cfg.Endpoint, err)
	}

	exists, err := client.BucketExists(ctx, cfg.Bucket)
	if err != nil {
		return nil, fmt.Errorf("check S3 bucket %q at %s: %w", cfg.Bucket, cfg.Endpoint, err)
	}
	if !exists {
		if !cfg.CreateBucket {
			return nil, fmt.Errorf("S3 bucket %q not found at %s: create it or set CreateBucket", cfg.Bucket, cfg.Endpoint)
		}
		err := client.MakeBucket(ctx, cfg.Bucket, minio.MakeBucketOptions{Region: cfg.Region})
		// Another app server starting at the same time may win the race.
		if err != nil && s3ErrorCode(err) != minio.BucketAlreadyOwnedByYou {
			return nil, fmt.Errorf("create S3 bucket %q at %s: %w", cfg.Bucket, cfg.Endpoint, err)
		}
	}

	return &S3{client: client, bucket: cfg.Bucket, prefix: cfg.Prefix, publicBaseURL: cfg.PublicBaseURL}, nil
}

// s3ErrorCode returns the S3 error code inside err, or "" when err did
// not come from an S3 response. Codes are stable API, unlike messages.
func s3ErrorCode(err error) string {
	var resp minio.ErrorResponse
	if errors.As(err, &resp) {
		return resp.Code
	}
	return ""
}

// Put uploads data unless an object of the same size already exists under
// key. A content-addressed key implies the same bytes, so one HEAD request
// replaces re-sending the photo and adding a version in a versioned
// bucket. Any HEAD failure falls through to the upload, which reports its
// own error. An empty contentType means the type implied by the key's
// extension; another type is rejected, because /photos/{key} serves that
// type and both paths must agree.
func (s *S3) Put(ctx context.Context, key, contentType string, data []byte) error {
	if !ValidKey(key) {
		return fmt.Errorf("put photo: %w %q", ErrInvalidKey, key)
	}
	want := contentTypes[path.Ext(key)]
	if contentType != "" {
		got, _, err := mime.ParseMediaType(contentType)
		if err != nil || got != want {
			return fmt.Errorf("put photo: content type %q does not match key %s, want %s", contentType, key, want)
		}
	}

	name := s.prefix + key
	info, err := s.client.StatObject(ctx, s.bucket, name, minio.StatObjectOptions{})
	if err == nil && info.Size == int64(len(data)) {
		return nil
	}

	_, err = s.client.PutObject(ctx, s.bucket, name, bytes.NewReader(data), int64(len(data)), minio.PutObjectOptions{
		ContentType:  want,
		CacheControl: cacheControl,
	})
	if err != nil {
		return fmt.Errorf("put photo %s: %w", key, err)
	}
	return nil
}

// Get returns the object's bytes, or board.ErrNotFound when the server
// reports NoSuchKey or the key fails ValidKey.
func (s *S3) Get(ctx context.Context, key string) ([]byte, error) {
	if !ValidKey(key) {
		return nil, board.ErrNotFound
	}
	obj, err := s.client.GetObject(ctx, s.bucket, s.prefix+key, minio.GetObjectOptions{})
	if err != nil {
		return nil, fmt.Errorf("get photo %s: %w", key, err)
	}
	defer obj.Close()

	// GetObject sends no request until the first read, so a missing key
	// shows up here.
	data, err := io.ReadAll(obj)
	if s3ErrorCode(err) == minio.NoSuchKey {
		return nil, board.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("get photo %s: %w", key, err)
	}
	return data, nil
}

// Delete removes the object. A missing key is not an error: Amazon S3
// returns 204 No Content for it, and a server that returns NoSuchKey
// instead is treated the same.
func (s *S3) Delete(ctx context.Context, key string) error {
	if !ValidKey(key) {
		return fmt.Errorf("delete photo: %w %q", ErrInvalidKey, key)
	}
	err := s.client.RemoveObject(ctx, s.bucket, s.prefix+key, minio.RemoveObjectOptions{})
	if err != nil && s3ErrorCode(err) != minio.NoSuchKey {
		return fmt.Errorf("delete photo %s: %w", key, err)
	}
	return nil
}

// PublicURL returns PublicBaseURL/key, or "" when no PublicBaseURL is set
// or key fails ValidKey.
//
// NOTE: a public URL skips the check in /photos/{key} that the photo
// belongs to a live post. A photo of a deleted post stays readable until
// the worker deletes the object, and caches may keep it for up to a year
// after that because of the Cache-Control header.
func (s *S3) PublicURL(key string) string {
	if s.publicBaseURL == "" || !ValidKey(key) {
		return ""
	}
	return s.publicBaseURL + "/" + key
}
