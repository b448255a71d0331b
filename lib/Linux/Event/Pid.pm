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
C<$pid> through pidfd_open(2) and returns a C<Linux::Event::Pid>.  Options:
C<data>, passed to the callback (undef if not given), and C<reap>
(boolean, default 1).

C<pid> croaks on:

=over 4

=item *

a missing callback (a C<Usage:> message), or a callback that is not a CODE
reference;

=item *

an odd number of options, or unknown options (C<unknown pid args: x>);

=item *

a C<$pid> that is not a positive integer (up to 2**31-1);

=item *

a process that does not exist (C<no such process>);

=item *

with C<< reap => 1 >>, a process that is not a child of this process
(C<not a child of this process>; use C<< reap => 0 >> to be notified only).

=back

The callback is called once, as C<< $cb->($loop, $pid, $status, $data) >>,
when the process exits; the subscription then cancels itself.

With C<< reap => 1 >> (the default) the loop reaps the child without blocking
and passes the raw wait status, for C<POSIX::WIFEXITED>, C<WEXITSTATUS>,
C<WIFSIGNALED> and C<WTERMSIG>.  A process that is not a child of this
process cannot be reaped: subscribing to it with C<< reap => 1 >> croaks.
With C<< reap => 0 >> the callback only reports the exit, C<$status> is
undef, and reaping is left to the caller.

If a child watched with C<< reap => 1 >> is reaped by someone else first (your
own C<waitpid> or C<wait>, or C<$SIG{CHLD} = 'IGNORE'>, which makes the
kernel reap children),
the loop cannot reap it: C<run>/C<run_once> croaks (C<cannot reap process
...  (was it reaped elsewhere?)>) and the subscription is gone.

There is one subscription per pid: a later C<pid()> for the same pid
replaces the earlier one.

=head1 METHODS

=head2 cancel

  my $removed = $sub->cancel;

Stops watching: true (1) the first time, false (0) after (and false once
the callback has run).  A cancelled subscription never calls its callback,
and does not reap: the child is left for the caller to reap.  No arguments.

=head2 is_active

1 until the callback has run or the subscription was cancelled or replaced,
0 after.  No arguments.

In a thread other than the loop's, C<cancel> and C<is_active> croak; in a
forked child C<cancel> croaks and C<is_active> reads the child's copy (see
L<Linux::Event::Loop/THREADS AND FORK>).

=head1 REQUIREMENTS

Linux 5.3 or later, for pidfd_open(2).  (Before Linux 5.4, which added
C<waitid(P_PIDFD)>, whether the process is our child is asked by its pid.)
Where pidfd_open(2) is missing (C<ENOSYS>) or forbidden by a sandbox
(C<EPERM>), C<< $loop->pid >> croaks, from the caller's line:

  pid: watching processes needs pidfd_open(2), which Linux has since 5.3;
  this kernel or its sandbox refuses it (ENOSYS)

and everything else the loop does goes on working.

=head1 SEE ALSO

L<Linux::Event::Loop>, L<Linux::Event>, pidfd_open(2), waitpid(2),
L<POSIX/WIFEXITED>; F<examples/child_processes.pl> in the distribution.

=head1 AUTHOR

The Linux::Event developers.

=head1 LICENSE

Same terms as Perl itself.

=head1 VERSION

This document describes Linux::Event::Pid version 0.007.

=cut
