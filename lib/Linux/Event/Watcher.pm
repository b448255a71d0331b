package Linux::Event::Watcher;
use v5.36;

our $VERSION = '0.009';

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

Returned by L<Linux::Event::Loop/watch>; owned by the loop (there is no
constructor).  The callbacks and switches live in the engine; the object
names them.  The object is a blessed scalar reference, small (about 250
bytes per watcher with its engine record, see F<bench/RESULTS.md>) and
opaque: use its methods, not its inside.  I/O callbacks are called as C<< $cb->($loop, $fh, $watcher) >>,
in the order given in L<Linux::Event::Loop/Dispatch order>.

Each direction (read, write, error) has a handler and a switch.  A direction
is dispatched, and asked of the kernel, only while its switch is on and it
has a handler; the C<*_enabled> getters report the switch alone.

Every method croaks when given the wrong number of arguments (a C<Usage:>
message).

=head1 METHODS

=head2 loop, fh, fd

  my $loop = $watcher->loop;
  my $fh   = $watcher->fh;
  my $fd   = $watcher->fd;

The loop (undef once it is gone), the handle (undef once it is gone: the
watcher does not keep it alive) and the file descriptor number.  No
arguments.

=head2 data

  my $data = $watcher->data;
  $watcher->data($new);

Gets or sets the user slot (the C<data> given to C<watch>, undef if none);
the setter returns the new value.

=head2 on_read, on_write, on_error

  $watcher->on_read(sub ($loop, $fh, $watcher) { ... });
  $watcher->on_read(undef);

Install or replace a handler, and return the watcher.  C<undef> removes the
handler and disables that direction.  Installing a handler does not re-enable
a direction that is disabled; call C<enable_read> (and so on) for that.
Croaks unless given exactly one argument, a CODE reference or undef.

=head2 enable_read, disable_read, enable_write, disable_write, enable_error, disable_error

  $watcher->disable_write;
  $watcher->disable_read->enable_read;    # re-arm a oneshot watcher

Toggle dispatch for a direction and update the kernel interest; return the
watcher, so calls chain.  No arguments.  Enabling a direction that has no
handler sets the switch only: nothing is dispatched until a handler is
installed.  Error conditions are always reported by the kernel: the error
switches only control whether the C<error> handler is called (with it
disabled, an error counts as readable and writable).  On a oneshot watcher
every toggle re-arms the descriptor.

=head2 read_enabled, write_enabled, error_enabled

1 or 0: the switch of that direction.  No arguments.

=head2 edge_triggered, oneshot

  my $on = $watcher->edge_triggered;
  $watcher->edge_triggered(1);

Get, or set and apply to the kernel at once (C<EPOLLET>, C<EPOLLONESHOT>);
return the (new) setting, 1 or 0.  Any true or false value sets it.

=head2 is_active

1 until the watcher is cancelled, replaced by another C<watch> of the same
descriptor, or its loop is gone, and 0 after.  It is also 0 as soon as its
handle is closed or dropped: such a watcher never fires again, and the loop
forgets it the next time the kernel reports its descriptor (see
L<Linux::Event::Loop/watch>).

=head2 cancel

Removes the watcher from the loop: true (1) the first time, false (0)
after.  Never closes the handle.

=head1 INACTIVE WATCHERS, THREADS AND FORK

On an inactive watcher, the setters change nothing (C<on_*>, C<enable_*>
and C<disable_*> return the watcher, C<edge_triggered> and C<oneshot> return
0), the switch getters return 0, and C<data> still works.  This includes a
watcher whose handle was closed or dropped without C<unwatch>: its setters
never register whatever file reuses its descriptor number.  In a thread other than the loop's, only C<data>,
C<loop>, C<fh> and C<fd> work, on the thread's own copies; in a forked
child, the getters work and the methods that change the watcher croak (see
L<Linux::Event::Loop/THREADS AND FORK>).

=head1 SEE ALSO

L<Linux::Event::Loop>, L<Linux::Event>, epoll(7); F<examples/echo_server.pl>
and F<examples/oneshot_edge_reader.pl> in the distribution.

=head1 AUTHOR

The Linux::Event developers.

=head1 LICENSE

Same terms as Perl itself.

=head1 VERSION

This document describes Linux::Event::Watcher version 0.009.

=cut
