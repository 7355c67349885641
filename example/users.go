package main

import "golang.org/x/crypto/bcrypt"

// user is a demo account. A real application keeps its users in a
// database; the session keeps only the ID.
type user struct {
	ID       int64
	Username string
	Name     string
	Email    string
	hash     string // bcrypt, cost 10
}

// users are the demo accounts: user / pass and alice / wonderland.
var users = []*user{
	{ID: 1, Username: "user", Name: "John Doe", Email: "john.doe@example.com",
		hash: "$2a$10$9LDzzTQh/BYeiiA.ISUB1.7gvyaH6RAHxK1LlaAvomc0AyykfyjKW"},
	{ID: 2, Username: "alice", Name: "Alice Liddell", Email: "alice@example.com",
		hash: "$2a$10$rJI3ypwC./JBl9j63/XAwOJ2Dl.fYmMDBiOYT2bbER.HFkX1dMWDy"},
}

// dummyHash is the bcrypt hash, at the cost of the real ones, of a random
// password that was thrown away. An unknown username is checked against it,
// so that it takes as long to refuse as a wrong password and the time of a
// failed sign-in does not tell which usernames exist.
const dummyHash = "$2a$10$oGkDHJBDFjBa35cOR7DxgOFpI7FNILk1PKD6w681KN1KpuB694PhO"

// authenticate returns the user with this username and password. It runs
// one bcrypt comparison whether or not the username exists.
func authenticate(username, password string) (*user, bool) {
	hash := dummyHash
	u := userByName(username)
	if u != nil {
		hash = u.hash
	}
	err := bcrypt.CompareHashAndPassword([]byte(hash), []byte(password))
	if u == nil || err != nil {
		return nil, false
	}
	return u, true
}

// userByName returns the user with this username, or nil.
func userByName(username string) *user {
	for _, u := range users {
		if u.Username == username {
			return u
		}
	}
	return nil
}

// userByID returns the user with this ID, or nil: a session may outlive
// its user's account.
func userByID(id int64) *user {
	for _, u := range users {
		if u.ID == id {
			return u
		}
	}
	return nil
}
