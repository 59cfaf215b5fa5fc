package apiserver

import (
	"os"
	"path/filepath"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// ContextName is the kubeconfig context (and cluster and user) name Ephemera
// writes, in the style of kind's "kind-<cluster>".
const ContextName = "ephemera"

// Kubeconfig returns a kubeconfig for the server's admin user (the current
// context) and a context per user added with AddKubeconfigUser.
func (s *Server) Kubeconfig() ([]byte, error) {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters[ContextName] = &clientcmdapi.Cluster{Server: s.url, CertificateAuthorityData: s.caPEM}
	cfg.AuthInfos[ContextName] = &clientcmdapi.AuthInfo{ClientCertificateData: s.adminCert, ClientKeyData: s.adminKey}
	cfg.Contexts[ContextName] = &clientcmdapi.Context{Cluster: ContextName, AuthInfo: ContextName, Namespace: "default"}
	cfg.CurrentContext = ContextName
	s.addUserContexts(cfg)
	return clientcmd.Write(*cfg)
}

// WriteKubeconfig writes the admin kubeconfig to path atomically (a temporary
// file in the same directory, renamed into place), readable only by its
// owner: a reader never sees a half-written file.
func (s *Server) WriteKubeconfig(path string) error {
	data, err := s.Kubeconfig()
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".ephemera-kubeconfig-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // no-op once renamed
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
