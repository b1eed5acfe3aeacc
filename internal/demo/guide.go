package main

import (
	"fmt"
	"io"
)

// PrintGuide tells a developer what runs where and how to try it (make dev).
// The passwords are the local stand-in's throwaway ones, made for this run.
func (s *stack) PrintGuide(w io.Writer) {
	fmt.Fprintf(w, `
Gatehouse is running locally. Ctrl-C stops all of it.

  sample API, behind gatehouse serve   %s   (POST /orders needs scope orders/write)
  portal (sign-in, API credentials)    %s
  partner service                      %s
  client-credentials token endpoint    %s   (local stand-in)
  people's user pool (moto_server)     %s   pool %s
                                       issuer %s, keys %s
  partners' user pool (cognito-local)  %s   pool %s
  DynamoDB table / KMS key (moto)      %s / %s

Local users (throwaway passwords, made for this run):
  %-6s %s   group %s
  %-6s %s   group %s
  %s (partners' pool, administrator of partner %s) temporary password %s

Try:
  SIGNIN=$(curl -s %s/auth/sign-in -H 'Content-Type: application/json' \
    -d '{"username":"%s","password":"%s"}')
  TOKEN=$(echo "$SIGNIN" | sed 's/.*"id_token":"\([^"]*\)".*/\1/')
  ACCESS=$(echo "$SIGNIN" | sed 's/.*"access_token":"\([^"]*\)".*/\1/')
  curl -s %s/orders -H "Authorization: Bearer $TOKEN"
  curl -s %s/clients -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d '{"name":"my script"}'
  curl -s -u CLIENT_ID:CLIENT_SECRET %s -d grant_type=client_credentials

Sign-out everywhere (GlobalSignOut, then the sign-out time on the mapping):
  curl -s -X POST %s/auth/sign-out -H "Authorization: Bearer $ACCESS"   # 204
  curl -s %s/orders -H "Authorization: Bearer $TOKEN"                    # 401 (signed_out in serve's log)
  Sign in again from the next whole second: the new tokens are admitted. An
  operator does the same with the CLI (the people's pool and the table are
  both on moto_server, in %s):
  AWS_ENDPOINT_URL=%s AWS_REGION=%s AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test \
    GATEHOUSE_TABLE=%s %s users sign-out --pool %s %s

  A re-created user name is refused: delete %s in the people's pool (on
  moto_server, above) and create the name again (AdminDeleteUser,
  AdminCreateUser, AdminSetUserPassword); the new person's token gets 401
  (identity_rebound in serve's log).

The partner administrator rotates its own credential (first sign-in: a new password):
  SESSION=$(curl -s %s/partners/auth/sign-in -H 'Content-Type: application/json' \
    -d '{"username":"%s","password":"%s"}' | sed 's/.*"session":"\([^"]*\)".*/\1/')
  PTOKEN=$(curl -s %s/partners/auth/respond -H 'Content-Type: application/json' \
    -d '{"username":"%s","challenge":"NEW_PASSWORD_REQUIRED","session":"'$SESSION'","responses":{"NEW_PASSWORD":"%s"}}' \
    | sed 's/.*"id_token":"\([^"]*\)".*/\1/')
  curl -s -X POST %s/partners/%s/rotate -H "Authorization: Bearer $PTOKEN"

Logs: %s
`, s.api, s.portal, s.partners, s.tokenEP, s.moto, s.poolID, s.issuer, s.jwksURL, s.partnerIssuer, s.partnerPoolID, s.table, s.kmsKeyID,
		person, s.passwords[person], apiClientsGroup, administrator, s.passwords[administrator], adminsGroup,
		partnerAdmin, selfServePartner, s.passwords[partnerAdmin+"-temporary"],
		s.portal, person, s.passwords[person], s.api, s.portal, s.tokenEP,
		s.portal, s.api, demoRegion, s.moto, demoRegion, s.table, s.gatehouse, s.poolID, person,
		person,
		s.partners, partnerAdmin, s.passwords[partnerAdmin+"-temporary"], s.partners, partnerAdmin, s.passwords[partnerAdmin],
		s.partners, selfServePartner, s.dir)
}
