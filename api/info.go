package api

import (
	"net/http"
	"runtime"

	"github.com/go-chi/chi/v5"

	"github.com/stockledger/stockledger/domain/user"
)

// rootRoutes registers the server information endpoints.
func (s *server) rootRoutes(r chi.Router) {
	s.handle(r, "/", endpoint{Public: true, Get: s.info, Meta: meta{
		Name:        "Info",
		Description: "JSON endpoint for InvenTree server information.\n\nUse to confirm that the server is running, etc.",
	}})
	s.handle(r, "/version/", endpoint{Staff: true, Get: s.version, Meta: meta{
		Name:        "Version",
		Description: "Simple JSON endpoint for InvenTree version information.",
	}})
}

// infoBody is InvenTree's InfoApi, keys in InvenTree's order, plus what identifies
// Stockledger. Pointers are the keys that may be null.
type infoBody struct {
	Server                 string       `json:"server"`
	ID                     *string      `json:"id"`
	Version                string       `json:"version"`
	Instance               string       `json:"instance"`
	APIVersion             int          `json:"apiVersion"`
	WorkerRunning          bool         `json:"worker_running"`
	WorkerCount            int          `json:"worker_count"`
	WorkerPendingTasks     int          `json:"worker_pending_tasks"`
	PluginsEnabled         bool         `json:"plugins_enabled"`
	PluginsInstallDisabled bool         `json:"plugins_install_disabled"`
	EmailConfigured        bool         `json:"email_configured"`
	DebugMode              bool         `json:"debug_mode"`
	DockerMode             bool         `json:"docker_mode"`
	DefaultLocale          string       `json:"default_locale"`
	Customize              infoCustom   `json:"customize"`
	ActivePlugins          *[]string    `json:"active_plugins"`
	SystemHealth           *bool        `json:"system_health"`
	Database               *string      `json:"database"`
	Platform               *string      `json:"platform"`
	Installer              *string      `json:"installer"`
	Target                 *string      `json:"target"`
	DjangoAdmin            *string      `json:"django_admin"`
	Settings               infoSettings `json:"settings"`
	Stockledger            infoSelf     `json:"stockledger"`
}

type infoCustom struct {
	Logo                string  `json:"logo"`
	Splash              string  `json:"splash"`
	LoginMessage        *string `json:"login_message"`
	NavbarMessage       *string `json:"navbar_message"`
	DisableThemeStorage bool    `json:"disable_theme_storage"`
}

type infoSettings struct {
	SSORegistration          bool `json:"sso_registration"`
	RegistrationEnabled      bool `json:"registration_enabled"`
	PasswordForgottenEnabled bool `json:"password_forgotten_enabled"`
}

type infoSelf struct {
	Version string `json:"version"`
}

// isStaff reports whether a is an active staff user (superusers count: they may do
// anything).
func isStaff(a user.Access, ok bool) bool {
	return ok && a.Active && (a.Staff || a.Superuser)
}

// info answers GET /api/ to anyone. Staff users also see the server's internals; for
// others those keys are null, as in InvenTree. Stockledger has no background worker
// queue, plugins, e-mail or Django admin, and says so.
func (s *server) info(w http.ResponseWriter, r *http.Request) error {
	body := infoBody{
		Server:                 "InvenTree",
		Version:                inventreeVersion,
		Instance:               s.cfg.InstanceName,
		APIVersion:             apiVersion,
		WorkerRunning:          true, // the projection runner does the work a worker would
		WorkerCount:            1,
		PluginsInstallDisabled: true,
		DefaultLocale:          "en-us",
		Stockledger:            infoSelf{Version: s.cfg.Version},
	}
	if s.cfg.InstanceID != "" {
		id := s.cfg.InstanceID
		body.ID = &id
	}
	if isStaff(AccessFrom(r.Context())) {
		plugins, health := []string{}, true
		database, platform, installer := "postgresql", runtime.GOOS+" "+runtime.GOARCH+" "+runtime.Version(), "stockledger"
		body.ActivePlugins, body.SystemHealth = &plugins, &health
		body.Database, body.Platform, body.Installer = &database, &platform, &installer
	}
	return writeJSON(w, http.StatusOK, body)
}

// versionBody is InvenTree's VersionView answer.
type versionBody struct {
	Dev      bool `json:"dev"`
	UpToDate bool `json:"up_to_date"`
	Version  struct {
		Server       string  `json:"server"`
		API          int     `json:"api"`
		CommitHash   string  `json:"commit_hash"`
		CommitDate   string  `json:"commit_date"`
		CommitBranch *string `json:"commit_branch"`
		Python       string  `json:"python"`
		Django       string  `json:"django"`
	} `json:"version"`
	Links struct {
		Doc  string `json:"doc"`
		Code string `json:"code"`
		App  string `json:"app"`
		Bug  string `json:"bug"`
	} `json:"links"`
	Stockledger infoSelf `json:"stockledger"`
}

// version answers GET /api/version/ to staff users. There is no Python or Django to
// report; the documentation links are InvenTree's, whose API this is.
func (s *server) version(w http.ResponseWriter, r *http.Request) error {
	var body versionBody
	body.UpToDate = true
	body.Version.Server = inventreeVersion
	body.Version.API = apiVersion
	body.Links.Doc = "https://docs.inventree.org/en/" + inventreeVersion
	body.Links.App = "https://docs.inventree.org/en/stable/app/"
	body.Stockledger.Version = s.cfg.Version
	return writeJSON(w, http.StatusOK, body)
}
