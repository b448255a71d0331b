package Linux::Event;
use v5.36;

our $VERSION = '0.007';

use Carp ();
require XSLoader;
XSLoader::load('Linux::Event', $VERSION);

use Linux::Event::Loop;
use Linux::Event::Watcher;
use Linux::Event::Wakeup;
use Linux::Event::Signal;
use Linux::Event::Pid;

our @CARP_NOT = qw(Linux::Event::Loop Linux::Event::Watcher Linux::Event::Wakeup
    Linux::Event::Signal Linux::Event::Pid);

sub new ($class, @args) {
    return Linux::Event::Loop->new(@args);
}

# Runs an internal call whose croak must be reported from the user's line,
# not from inside these modules.  Exception objects pass through untouched.
sub _internal ($code) {
    my @r;
    return wantarray ? @r : $r[0] if eval { @r = $code->(); 1 };
    my $err = $@;
    die $err if ref $err;
    $err =~ s/ at \S+ line \d+\.?\n\z//;
    Carp::croak($err);
}

1;

__END__

=head1 NAME

Linux::Event - a Linux-native event loop for Perl with its engine in Rust

=head1 SYNOPSIS

  use v5.36;
  use Linux::Event;

  my $loop = Linux::Event->new;

  $loop->after(0.05, sub ($loop) { say "timer fired"; $loop->stop });

  my $waker = $loop->waker;
  $waker->on_wakeup(sub ($loop, $count) { say "woken $count time(s)" });
  $waker->signal;

  $loop->run;

=head1 DESCRIPTION

Linux::Event is an event loop built directly on Linux's own primitives:
epoll(7) for descriptors, eventfd(2) for wakeups, signalfd(2) for signals
and pidfd_open(2) for child processes.  The engine (timer heap, descriptor
registry, dispatch loop) is written in Rust and loaded as this
distribution's XS module; the Perl modules are thin layers that check
arguments and carry this documentation.  Nothing outside Perl's core is
needed at run time.

C<use Linux::Event;> loads everything: L<Linux::Event::Loop>,
L<Linux::Event::Watcher>, L<Linux::Event::Wakeup>, L<Linux::Event::Signal>
and L<Linux::Event::Pid>.

=head1 METHODS

=head2 new

  my $loop = Linux::Event->new(%options);

The same as C<< Linux::Event::Loop->new(%options) >>.

=head1 HOW A DIE INSIDE A CALLBACK IS HANDLED

A Perl C<die> is a C<longjmp>, which must never cross a Rust stack frame
that still owns something.  The engine therefore calls every Perl callback
(and Perl's deferred C<%SIG> handlers) through a small C function that
catches both ways out of a call: C<die>, through C<G_EVAL>, and C<exit>,
through its own C<JMPENV>.  The Rust code then returns normally, dropping
everything it holds, and only the outermost layer of the XSUB, holding raw
pointers and nothing else, rethrows the exception with C<croak_sv> (or
continues the C<exit>).  The loop state is made consistent before each
callback, so the exception leaves the loop ready to run again.

=head1 SEE ALSO

L<Linux::Event::Loop>, L<Linux::Event::Watcher>, L<Linux::Event::Wakeup>,
L<Linux::Event::Signal>, L<Linux::Event::Pid>, L<EV>, L<AnyEvent>.

=head1 AUTHOR

The Linux::Event developers.  The 0.007 API was designed by Joshua S. Day.

=head1 LICENSE

Same terms as Perl itself.

=head1 VERSION

This document describes Linux::Event version 0.007.

=cut
