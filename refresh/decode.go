package refresh

import (
	"github.com/gatehouse-auth/gatehouse/internal/httpjson"
)

// exchangeRequest is the body of POST /partners/token.
type exchangeRequest struct {
	RefreshToken *string `json:"refresh_token"`
}

// registerRequest is the body of POST /partners.
type registerRequest struct {
	PartnerID  *string `json:"partner_id"`
	Username   *string `json:"username"`
	InternalID *string `json:"internal_id"`
	// The partner's administrator: a person, invited by e-mail.
	AdminUsername          *string `json:"admin_username"`
	AdminEmail             *string `json:"admin_email"`
	AdminTemporaryPassword *string `json:"admin_temporary_password"`
}

// decodeExchange reads an exchange body: a JSON object whose only member
// is a non-empty string "refresh_token". Errors are *httpjson.BodyError.
func decodeExchange(body []byte) (string, error) {
	var req exchangeRequest
	if err := httpjson.Unmarshal(body, &req); err != nil {
		return "", err
	}
	if req.RefreshToken == nil {
		return "", httpjson.Invalid("refresh_token", "refresh_token is required")
	}
	if *req.RefreshToken == "" {
		return "", httpjson.Invalid("refresh_token", "refresh_token is empty")
	}
	return *req.RefreshToken, nil
}

// decodeRegister reads a registration body: "partner_id" (required),
// "username" and "internal_id" (optional strings), "admin_username" and
// "admin_email" (together or not at all), "admin_temporary_password"
// (optional, only with them). Register checks the values.
func decodeRegister(body []byte) (RegisterInput, error) {
	var req registerRequest
	if err := httpjson.Unmarshal(body, &req); err != nil {
		return RegisterInput{}, err
	}
	if req.PartnerID == nil {
		return RegisterInput{}, httpjson.Invalid("partner_id", "partner_id is required")
	}
	in := RegisterInput{PartnerID: *req.PartnerID}
	if req.Username != nil {
		if *req.Username == "" {
			return RegisterInput{}, httpjson.Invalid("username", "username is empty (leave it out for the default)")
		}
		in.Username = *req.Username
	}
	if req.InternalID != nil {
		if *req.InternalID == "" {
			return RegisterInput{}, httpjson.Invalid("internal_id", "internal_id is empty (leave it out for a random one)")
		}
		in.InternalID = *req.InternalID
	}
	for _, f := range []struct {
		name string
		v    *string
		dst  *string
	}{
		{"admin_username", req.AdminUsername, &in.AdminUsername},
		{"admin_email", req.AdminEmail, &in.AdminEmail},
		{"admin_temporary_password", req.AdminTemporaryPassword, &in.AdminTemporaryPassword},
	} {
		if f.v != nil {
			if *f.v == "" {
				return RegisterInput{}, httpjson.Invalid(f.name, "%s is empty (leave it out)", f.name)
			}
			*f.dst = *f.v
		}
	}
	return in, nil
}

// decodeEmpty reads a body that may be absent (nil from httpjson.ReadBody)
// or an empty JSON object.
func decodeEmpty(body []byte) error {
	if body == nil {
		return nil
	}
	var req struct{}
	return httpjson.Unmarshal(body, &req)
}
