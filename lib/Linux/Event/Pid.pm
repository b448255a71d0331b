package Linux::Event::Pid;
use v5.36;

our $VERSION = '0.007';

use Linux::Event ();

# cancel and is_active are XSUBs (src/perl/subscription_xs.rs).

1;

__END__

=head1 NAME

Linux::Event::Pid - child process exits through pidfd

=head1 SYNOPSIS

  use v5.36;
  use Linux::Event;
  use POSIX qw(WIFEXITED WEXITSTATUS);

  my $loop = Linux::Event->new;

  my $pid = fork // die "fork: $!";
  if (!$pid) { POSIX::_exit(3) }

  $loop->pid($pid, sub ($loop, $pid, $status, $data) {
      say "child $pid exited with ", WEXITSTATUS($status) if WIFEXITED($status);
      $loop->stop;
  });
  $loop->run;

=head1 DESCRIPTION

C<< $loop->pid($pid, $cb, data => $any, reap => 1) >> watches process
C<$pid> through pidfd_open(2) and returns a C<Linux::Event::Pid>.  C<$pid>
must be a positive integer; a process that does not exist croaks.

The callback is called once, as C<< $cb->($loop, $pid, $status, $data) >>,
when the process exits; the subscription then cancels itself.

With C<< reap => 1 >> (the default) the loop reaps the child without blocking
and passes the raw wait status, for C<POSIX::WIFEXITED>, C<WEXITSTATUS>,
C<WIFSIGNALED> and C<WTERMSIG>.  A process that is not a child of this
process cannot be reaped: subscribing to it with C<< reap => 1 >> croaks.
With C<< reap => 0 >> the callback only reports the exit, C<$status> is
undef, and reaping is left to the caller.

There is one subscription per pid: a later C<pid()> for the same pid
replaces the earlier one.

=head1 METHODS

=head2 cancel

Stops watching: true the first time, false after (and false once the
callback has run).  A cancelled subscription never calls its callback.

=head2 is_active

1 until the callback has run or the subscription was cancelled or replaced.

=head1 SEE ALSO

L<Linux::Event::Loop>, pidfd_open(2)

=head1 AUTHOR

The Linux::Event developers.

=head1 LICENSE

Same terms as Perl itself.

=head1 VERSION

This document describes Linux::Event::Pid version 0.007.

=cut
