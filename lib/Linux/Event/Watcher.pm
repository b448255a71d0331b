package Linux::Event::Watcher;
use v5.36;

our $VERSION = '0.007';

use Linux::Event ();

# Every method is an XSUB (src/perl/watcher_xs.rs).

1;

__END__

=head1 NAME

Linux::Event::Watcher - the handle of one I/O watcher

=head1 SYNOPSIS

  use v5.36;
  use Linux::Event;

  my $loop = Linux::Event->new;
  pipe(my $r, my $w) or die "pipe: $!";

  my $watcher = $loop->watch($r,
      read => sub ($loop, $fh, $watcher) {
          my $n = sysread($fh, my $buf, 4096);
          say "got: $buf";
          $watcher->disable_read;
          $loop->stop;
      },
      data => { name => 'reader' },
  );
  say $watcher->data->{name}, ' watches fd ', $watcher->fd;

  syswrite($w, "ping");
  $loop->run;
  $watcher->cancel;

=head1 DESCRIPTION

Returned by L<Linux::Event::Loop/watch>; owned by the loop.  The callbacks
and switches live in the engine; the object names them.  I/O callbacks are
called as C<< $cb->($loop, $fh, $watcher) >>.

=head1 METHODS

=head2 loop, fh, fd

The loop (undef once it is gone), the handle (undef once it is gone: the
watcher does not keep it alive) and the file descriptor number.

=head2 data

  my $data = $watcher->data;
  $watcher->data($new);

Gets or sets the user slot; the setter returns the new value.

=head2 on_read, on_write, on_error

  $watcher->on_read(sub ($loop, $fh, $watcher) { ... });
  $watcher->on_read(undef);

Install or replace a handler, and return the watcher.  C<undef> removes the
handler and disables that direction.  Installing a handler does not re-enable
a direction that is disabled; call C<enable_read> (and so on) for that.
Croaks unless given a CODE reference or undef.

=head2 enable_read, disable_read, enable_write, disable_write, enable_error, disable_error

Toggle dispatch for a direction and update the kernel interest; return the
watcher.  Error conditions are always reported by the kernel: the error
switches only control whether the C<error> handler is called.  On a oneshot
watcher every toggle re-arms the descriptor.

=head2 read_enabled, write_enabled, error_enabled

1 or 0.

=head2 edge_triggered, oneshot

  my $on = $watcher->edge_triggered;
  $watcher->edge_triggered(1);

Get, or set and apply at once; return 1 or 0.

=head2 is_active

1 until the watcher is cancelled, replaced, purged (its handle was closed),
or its loop is gone; 0 after.

=head2 cancel

Removes the watcher from the loop: true the first time, false after.  Never
closes the handle.

Setters on an inactive watcher change nothing and return the watcher.  In a
thread other than the loop's, or in a forked child, methods that change the
watcher croak (see L<Linux::Event::Loop/THREADS AND FORK>).

=head1 SEE ALSO

L<Linux::Event::Loop>

=head1 AUTHOR

The Linux::Event developers.

=head1 LICENSE

Same terms as Perl itself.

=head1 VERSION

This document describes Linux::Event::Watcher version 0.007.

=cut
