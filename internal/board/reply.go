package board

import (
	"context"
	"fmt"
	"unicode/utf8"
)

// MaxReply bounds the message a visitor sends to a poster, in characters.
const MaxReply = 5_000

// Reply emails a visitor's message to the poster of a live post, with the
// visitor's address as Reply-To. The poster's address stays hidden: the
// visitor learns it only if the poster answers. Errors: NotFound or Gone
// for a post that is not live, Invalid with Fields for the email and
// message.
func (s *Service) Reply(ctx context.Context, postID, from, message string) error {
	p, err := s.livePost(ctx, postID)
	if err != nil {
		return err
	}
	fields := map[string]string{}
	from = checkEmail(from, fields)
	message = cleanText(message, true)
	switch n := utf8.RuneCountInString(message); {
	case n == 0:
		fields["message"] = "Write a message to the poster."
	case n > MaxReply:
		fields["message"] = fmt.Sprintf("Message is %d characters long; the maximum is %d.", n, MaxReply)
	}
	if len(fields) > 0 {
		return FieldErrors(fields)
	}

	now := s.now()
	msg := s.newMessage(p.Email, "Reply to your ad: "+p.Title, now)
	msg.Headers = map[string]string{"Reply-To": from}
	err = s.Mail.Render(&msg, "reply", map[string]string{
		"SiteName": s.SiteName, "Title": p.Title, "From": from, "Message": message,
	})
	if err != nil {
		return err
	}
	if err := s.Store.QueueMail(ctx, msg); err != nil {
		return internal("queue reply", err)
	}
	s.mailQueued()
	s.Log.Info("Reply sent", "post_id", p.ID)
	return nil
}
