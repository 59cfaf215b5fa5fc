package strategy

import (
	"errors"
	"regexp"
	"strings"
)

// This file reproduces the part of image-reference parsing that decides the
// default imagePullPolicy. Upstream (pkg/apis/core/v1/defaults.go,
// SetDefaults_Container) calls pkg/util/parsers.ParseImageName, which uses
// github.com/distribution/reference.ParseNormalizedNamed and then reports the
// tag "latest" when the reference carries neither tag nor digest. That module
// is not a dependency of Ephemera, so the grammar is re-expressed here from the
// distribution reference specification:
//
//	reference       := name [ ":" tag ] [ "@" digest ]
//	name            := [domain '/'] remote-name
//	domain          := host [':' port-number]
//	remote-name     := path-component ['/' path-component]*
//	path-component  := alpha-numeric [separator alpha-numeric]*
//	alpha-numeric   := /[a-z0-9]+/
//	separator       := /[_.]|__|[-]+/
//	tag             := /[\w][\w.-]{0,127}/
//	digest          := algorithm ":" encoded (the algorithm must be one the
//	                   server links in: sha256/sha384/sha512, hex of exact length)
//
// Only the (tag, digest, error) outcome matters to callers.

var (
	imgDomainComponent = `(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])`
	imgHost            = `(?:` + imgDomainComponent + `(?:\.` + imgDomainComponent + `)*|\[(?:[a-fA-F0-9:]+)\])`
	imgDomainAndPort   = imgHost + `(?::[0-9]+)?`
	imgPathComponent   = `[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*`
	imgRemoteName      = imgPathComponent + `(?:/` + imgPathComponent + `)*`
	imgName            = `(?:` + imgDomainAndPort + `/)?` + imgRemoteName
	imgTag             = `[\w][\w.-]{0,127}`
	imgDigest          = `[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][[:xdigit:]]{32,}`

	imgReferenceRE  = regexp.MustCompile(`^(` + imgName + `)(?::(` + imgTag + `))?(?:@(` + imgDigest + `))?$`)
	imgNameSplitRE  = regexp.MustCompile(`^(?:(` + imgDomainAndPort + `)/)?(` + imgRemoteName + `)$`)
	imgIdentifierRE = regexp.MustCompile(`^[a-f0-9]{64}$`)

	// Hex lengths of the digest algorithms kube-apiserver links in
	// (pkg/util/parsers imports crypto/sha256 and crypto/sha512).
	imgDigestHexLen = map[string]int{"sha256": 64, "sha384": 96, "sha512": 128}
	imgLowerHexRE   = regexp.MustCompile(`^[a-f0-9]+$`)

	errImageRef = errors.New("invalid image reference")
)

// imageRepositoryNameMax mirrors distribution/reference's
// RepositoryNameTotalLengthMax (the path part, without the domain).
const imageRepositoryNameMax = 255

// parseImageTagDigest returns the tag and digest of image the way
// parsers.ParseImageName does: when neither is present the tag is "latest";
// on any parse error both are empty and err is non-nil.
func parseImageTagDigest(image string) (tag, digest string, err error) {
	// ParseNormalizedNamed: a bare 64-hex string is refused as a repository name.
	if imgIdentifierRE.MatchString(image) {
		return "", "", errImageRef
	}
	domain, remainder := splitImageDomain(image)
	remote := remainder
	if i := strings.IndexByte(remainder, ':'); i > -1 {
		remote = remainder[:i]
	}
	if strings.ToLower(remote) != remote {
		return "", "", errImageRef
	}
	m := imgReferenceRE.FindStringSubmatch(domain + "/" + remainder)
	if m == nil {
		return "", "", errImageRef
	}
	path := m[1]
	if nm := imgNameSplitRE.FindStringSubmatch(m[1]); nm != nil {
		path = nm[2]
	}
	if len(path) > imageRepositoryNameMax {
		return "", "", errImageRef
	}
	tag, digest = m[2], m[3]
	if digest != "" {
		if err := validateImageDigest(digest); err != nil {
			return "", "", err
		}
	}
	if tag == "" && digest == "" {
		tag = "latest"
	}
	return tag, digest, nil
}

// validateImageDigest mirrors go-digest's Digest.Validate for the algorithms
// available in kube-apiserver.
func validateImageDigest(d string) error {
	i := strings.IndexByte(d, ':')
	if i <= 0 || i+1 == len(d) {
		return errImageRef
	}
	n, ok := imgDigestHexLen[d[:i]]
	if !ok {
		return errImageRef
	}
	enc := d[i+1:]
	if len(enc) != n || !imgLowerHexRE.MatchString(enc) {
		return errImageRef
	}
	return nil
}

// splitImageDomain mirrors distribution/reference's splitDockerDomain: it
// decides whether the first path element is a registry host. Only the split
// matters for tag parsing, so the docker.io canonical names are kept simple.
func splitImageDomain(name string) (domain, remainder string) {
	first, rest, ok := strings.Cut(name, "/")
	if !ok {
		return "docker.io", "library/" + name
	}
	switch {
	case first == "localhost":
		return first, rest
	case first == "index.docker.io":
		domain, remainder = "docker.io", rest
	case strings.ContainsAny(first, ".:"):
		return first, rest
	case strings.ToLower(first) != first:
		return first, rest
	default:
		domain, remainder = "docker.io", name
	}
	if !strings.ContainsRune(remainder, '/') {
		remainder = "library/" + remainder
	}
	return domain, remainder
}

// imageDefaultsToAlways mirrors SetDefaults_Container's imagePullPolicy rule:
// Always for the (explicit or implied) "latest" tag, IfNotPresent otherwise,
// including when the image cannot be parsed.
func imageDefaultsToAlways(image string) bool {
	tag, _, err := parseImageTagDigest(image)
	return err == nil && tag == "latest"
}
